"""The OIDC attack list of issue 11 against a real ``socle up``, each a test that fails if PSC accepts.

Attacks the PSC tests already cover exactly are not repeated here (code replay, code of another
client, wrong or missing verifier, plain PKCE refused, unregistered redirect host/extra path/query,
wrong client secret, private_key_jwt with a wrong aud or a replayed jti, refresh replay after rotation,
introspection by another client, logout to an unregistered URI)."""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.psc_login import REDIRECT_URI, authorize, issuer_of, login, pkce_pair, register
from tests.support import RunningStack

from .attacks import JWT_BEARER, assertion_claims, hs256_with_public_key, provider_key, signed, unsigned
from .conftest import MT_IDNAT, REFERENCE_INS, bearer

OIDC = "/protocol/openid-connect"
REDIRECT_VARIANTS = [
    "http://127.0.0.1/psc-login/callback/",  # trailing slash
    "http://127.0.0.1/PSC-LOGIN/callback",  # case of the path
    "HTTP://127.0.0.1/psc-login/Callback",
    "http://127.0.0.1/psc-login",  # a prefix of the path
    "http://127.0.0.1/psc-login/callback/../evil",
    "http://127.0.0.1:8443/psc-login/callback",  # another port
    "https://127.0.0.1/psc-login/callback",  # another scheme
    "http://127.0.0.1.evil.example/psc-login/callback",
    "http://evil.example@127.0.0.1/psc-login/callback",  # userinfo
    "http://127.0.0.1/psc-login/callback#frag",
    "http://127.0.0.1/psc-login/callback?next=https://evil.example",
    "http://localhost/psc-login/callback",
]


def token_url(stack: RunningStack) -> str:
    return issuer_of(stack.base_url) + OIDC + "/token"


def auth_request(stack: RunningStack, client: dict[str, Any], **params: str) -> httpx.Response:
    _, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": REDIRECT_URI,
        "scope": "openid scope_all",
        "acr_values": "eidas1",
        "state": "s",
        "nonce": "n" * 32,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **params,
    }
    return httpx.get(issuer_of(stack.base_url) + OIDC + "/auth", params=query, timeout=30)


def code_and_verifier(stack: RunningStack, client: dict[str, Any]) -> tuple[str, str]:
    verifier, challenge = pkce_pair()
    answer = authorize(stack.base_url, client, code_challenge=challenge, code_challenge_method="S256")
    return answer["code"], verifier


def redeem(stack: RunningStack, code: str, verifier: str, **form: Any) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if verifier:
        data["code_verifier"] = verifier
    return httpx.post(token_url(stack), data={**data, **form.pop("data", {})}, timeout=30, **form)


def refused(response: httpx.Response, *errors: str) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert "access_token" not in response.text
    if errors:
        assert response.json()["error"] in errors, response.text


@pytest.fixture(scope="module")
def client(stack: RunningStack) -> dict[str, Any]:
    return register(stack.base_url)


@pytest.mark.parametrize("uri", REDIRECT_VARIANTS)
def test_redirect_uri_variants_are_never_followed(
    stack: RunningStack, client: dict[str, Any], uri: str
) -> None:
    response = auth_request(stack, client, redirect_uri=uri)
    assert response.status_code == 400, (uri, response.status_code, response.headers.get("location"))
    assert "location" not in response.headers


def test_redirect_uri_variant_at_the_token_endpoint(stack: RunningStack, client: dict[str, Any]) -> None:
    auth = (client["client_id"], client["client_secret"])
    for uri in (REDIRECT_URI + "/", REDIRECT_URI.upper(), REDIRECT_URI + "?x=1"):
        code, verifier = code_and_verifier(stack, client)
        refused(redeem(stack, code, verifier, auth=auth, data={"redirect_uri": uri}), "invalid_grant")


def test_state_and_nonce_come_back_exactly_as_sent(stack: RunningStack, client: dict[str, Any]) -> None:
    """An RP detects tampering by comparing: the provider must echo them byte for byte."""
    state = "é&x=1;<script>" + secrets.token_urlsafe(8)
    nonce = "nonce+/=" + secrets.token_hex(16)
    verifier, challenge = pkce_pair()
    answer = authorize(
        stack.base_url,
        client,
        state=state,
        nonce=nonce,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    assert answer["state"] == state
    tokens = redeem(stack, answer["code"], verifier, auth=(client["client_id"], client["client_secret"]))
    keys = KeySet.import_key_set(httpx.get(issuer_of(stack.base_url) + OIDC + "/certs").json())
    claims = jwt.decode(tokens.json()["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["nonce"] == nonce


def test_a_code_is_bound_to_its_challenge_not_to_a_plain_verifier(
    stack: RunningStack, client: dict[str, Any]
) -> None:
    """Plain downgrade at the token endpoint: sending the S256 challenge itself as the verifier."""
    verifier, challenge = pkce_pair()
    answer = authorize(stack.base_url, client, code_challenge=challenge, code_challenge_method="S256")
    auth = (client["client_id"], client["client_secret"])
    refused(redeem(stack, answer["code"], challenge, auth=auth, data={"code_challenge_method": "plain"}))
    assert redeem(stack, answer["code"], verifier, auth=auth).status_code == 200, (
        "refused for the attack only"
    )


def test_client_secret_missing_or_empty(stack: RunningStack, client: dict[str, Any]) -> None:
    code, verifier = code_and_verifier(stack, client)
    refused(redeem(stack, code, verifier, data={"client_id": client["client_id"]}), "invalid_client")
    refused(redeem(stack, code, verifier, auth=(client["client_id"], "")), "invalid_client")
    refused(
        redeem(stack, code, verifier, data={"client_id": client["client_id"], "client_secret": ""}),
        "invalid_client",
    )
    good = redeem(stack, code, verifier, auth=(client["client_id"], client["client_secret"]))
    assert good.status_code == 200, "the code stays usable by its real client"


def test_private_key_jwt_forged_assertions(stack: RunningStack) -> None:
    key = RSAKey.generate_key(2048, auto_kid=True)
    public = key.as_dict(private=False)
    pkj = register(stack.base_url, token_endpoint_auth_method="private_key_jwt", jwks={"keys": [public]})
    audience = token_url(stack)
    forged = {
        "expired": signed(key, assertion_claims(pkj["client_id"], audience, age=600)),
        "alg none": unsigned(assertion_claims(pkj["client_id"], audience)),
        "HS256 with the public key": hs256_with_public_key(
            assertion_claims(pkj["client_id"], audience), public
        ),
        "another client's id": signed(key, assertion_claims("socle-demo", audience)),
        "no exp": signed(
            key, {k: v for k, v in assertion_claims(pkj["client_id"], audience).items() if k != "exp"}
        ),
    }
    for name, assertion in forged.items():
        code, verifier = code_and_verifier(stack, pkj)
        form = {
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
            "client_id": pkj["client_id"],
        }
        response = redeem(stack, code, verifier, data=form)
        assert response.status_code in (400, 401), (name, response.text)
        assert response.json()["error"] == "invalid_client", (name, response.text)
    code, verifier = code_and_verifier(stack, pkj)
    genuine = signed(key, assertion_claims(pkj["client_id"], audience))
    form = {"client_assertion_type": JWT_BEARER, "client_assertion": genuine}
    assert redeem(stack, code, verifier, data=form).status_code == 200, (
        "the attacks fail for the forgery only"
    )


def forged_access_tokens(stack: RunningStack, genuine: str) -> dict[str, str]:
    """Access tokens an attacker could present, built from a genuine one's claims."""
    claims = dict(jwt.decode(genuine, KeySet.import_key_set(certs(stack)), algorithms=["RS256"]).claims)
    now = int(time.time())
    real_key = provider_key(stack.data_dir)
    public = next(k for k in certs(stack)["keys"] if k.get("use", "sig") == "sig")
    stranger = RSAKey.generate_key(2048, auto_kid=True)
    return {
        "alg none": unsigned(claims),
        "HS256 with the public key": hs256_with_public_key(claims, public),
        "expired, genuinely signed": signed(real_key, claims | {"iat": now - 7200, "exp": now - 3600}),
        "another issuer, genuinely signed": signed(real_key, claims | {"iss": "https://evil.example/realm"}),
        "a stranger's key": signed(stranger, claims),
        "signature stripped": genuine.rsplit(".", 1)[0] + ".",
        "payload swapped": ".".join(
            [
                genuine.split(".")[0],
                unsigned(claims | {"sub": "attacker"}).split(".")[1],
                genuine.split(".")[2],
            ]
        ),
    }


def certs(stack: RunningStack) -> dict[str, Any]:
    return httpx.get(issuer_of(stack.base_url) + OIDC + "/certs", timeout=30).json()  # type: ignore[no-any-return]


def test_forged_access_tokens_are_refused_by_psc_and_every_service(stack: RunningStack) -> None:
    genuine = login(stack.base_url, idnat=MT_IDNAT)["access_token"]
    targets = {
        "userinfo": issuer_of(stack.base_url) + OIDC + "/userinfo",
        "dmp": f"{stack.base_url}/dmp/fhir/DocumentReference?patient.identifier="
        f"urn:oid:1.2.250.1.213.1.4.8|{REFERENCE_INS}&status=current",
        "ins": f"{stack.base_url}/ins/fhir/Patient?identifier={REFERENCE_INS}",
    }
    for url in targets.values():
        assert httpx.get(url, headers=bearer(genuine), timeout=30).status_code == 200, url
    for name, token in forged_access_tokens(stack, genuine).items():
        for target, url in targets.items():
            response = httpx.get(url, headers=bearer(token), timeout=30)
            assert response.status_code == 401, (name, target, response.status_code, response.text[:200])
            assert "Bearer" in response.headers.get("www-authenticate", ""), (name, target)


def test_token_of_a_session_ended_by_logout_is_dead_for_services(stack: RunningStack) -> None:
    tokens = login(stack.base_url, idnat=MT_IDNAT)
    dmp = f"{stack.base_url}/dmp/fhir/DocumentReference?patient.identifier=urn:oid:1.2.250.1.213.1.4.8|{REFERENCE_INS}&status=current"
    assert httpx.get(dmp, headers=bearer(tokens["access_token"]), timeout=30).status_code == 200
    logout = httpx.get(
        issuer_of(stack.base_url) + OIDC + "/logout", params={"id_token_hint": tokens["id_token"]}, timeout=30
    )
    assert logout.status_code in (200, 302)
    assert httpx.get(dmp, headers=bearer(tokens["access_token"]), timeout=30).status_code == 401
    refresh = httpx.post(
        token_url(stack),
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(tokens["client_id"], tokens["client_secret"]),
        timeout=30,
    )
    refused(refresh, "invalid_grant")


@pytest.mark.parametrize(
    "name", ["state", "nonce", "login_hint", "code_challenge", "scope", "client_id", "redirect_uri"]
)
def test_oversized_parameters_are_refused_cleanly(
    stack: RunningStack, client: dict[str, Any], name: str
) -> None:
    response = auth_request(stack, client, **{name: "A" * 20_000})
    location = response.headers.get("location", "")
    if response.status_code == 302:  # an error sent back to the registered client, without the parameter
        assert location.startswith(REDIRECT_URI + "?") and "error=invalid" in location, location[:200]
        assert "code=" not in location and len(location) < 2_000
    else:
        assert 400 <= response.status_code < 500 and not location, (name, response.status_code)


def test_oversized_token_request_is_refused(stack: RunningStack, client: dict[str, Any]) -> None:
    form = {"grant_type": "authorization_code", "code": "c" * 200_000, "redirect_uri": REDIRECT_URI}
    response = httpx.post(token_url(stack), data=form, auth=(client["client_id"], client["client_secret"]))
    refused(response)


def test_a_code_redeemed_twice_at_once_gives_one_token_at_most(
    stack: RunningStack, client: dict[str, Any]
) -> None:
    """The replay race: two parallel redemptions of one code, at most one wins (single-use codes)."""
    code, verifier = code_and_verifier(stack, client)
    auth = (client["client_id"], client["client_secret"])
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: redeem(stack, code, verifier, auth=auth), range(4)))
    assert sorted(a.status_code for a in answers)[:1] == [200] or all(a.status_code == 400 for a in answers)
    assert sum(a.status_code == 200 for a in answers) <= 1, [a.text[:100] for a in answers]


def test_open_redirect_on_logout_variants(stack: RunningStack) -> None:
    bye = "http://127.0.0.1/psc-login/bye"
    rp = register(stack.base_url, post_logout_redirect_uris=[bye])
    for uri in (
        bye + "/",
        bye + "?next=https://evil.example",
        "http://evil.example@127.0.0.1/psc-login/bye",
        "//evil.example",
    ):
        tokens = login(stack.base_url, client=rp)
        response = httpx.get(
            issuer_of(stack.base_url) + OIDC + "/logout",
            params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": uri},
            timeout=30,
        )
        assert response.status_code == 400 and "location" not in response.headers, uri
