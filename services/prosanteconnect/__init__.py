"""Pro Santé Connect (simulated): the OIDC provider of the realm ``esante-wallet``, Keycloak's paths.

Relying parties see PSC's observable behaviour (spec ``psc.md``); socle adds controls real PSC lacks,
all under ``{issuer}/socle/`` or as ``socle_*`` client metadata:

- ``PUT {issuer}/socle/clients/{client_id}/settings`` — ``socle_test_behaviour`` (adversarial ID tokens:
  wrong_nonce, wrong_issuer, wrong_audience, expired, unknown_kid, bad_signature, alg_none, wrong_acr,
  userinfo_sub_mismatch), ``socle_pkce_methods``, ``socle_require_pkce``, ``socle_access_token_audience``,
  ``socle_ciba_auto_approve``; the same keys are accepted at dynamic registration.
- ``GET {issuer}/socle/ciba?idnat=`` and ``POST {issuer}/socle/ciba/{auth_req_id}/approve|deny`` — the phone.
- ``POST {issuer}/socle/keys/rotate`` — a new signing key; old ones stay in the JWKS.
- ``GET {issuer}/ecps?idnat=`` — the e-CPS page (CIBA requests and login-page pushes to approve);
  ``{base}/auth`` — the wallet-style authorization endpoint.

Modules: ``server`` (authlib bridge, one transaction per request), ``grants`` / ``ciba`` / ``endpoints``
(authlib grants and endpoints), ``authorize`` and ``logout`` (decisions), ``issuance`` / ``adversarial`` /
``keys`` (what is signed), ``identity`` (userinfo shape), ``push`` (e-CPS logins), ``clients``, ``store``,
``models``, ``routes`` / ``pages`` / ``ecps`` / ``testapi`` (HTTP), ``bulk`` (``socle seed``).
"""
