"""Every request rule, broken once: the RFC error in the RFC place, no open redirect, no token issued."""

from __future__ import annotations

import time

import sqlalchemy
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey

from .helpers import (
    ISSUER,
    OIDC,
    REDIRECT,
    auth_params,
    authorize,
    bearer,
    code_form,
    introspect,
    login,
    query_of,
    redeem,
    register,
)


def _auth(psc: TestClient, params: dict[str, str]) -> object:
    psc.cookies.clear()
    return psc.get(OIDC + "/auth", params={k: v for k, v in params.items() if not k.startswith("_")})


def test_unknown_client_gets_an_error_page_not_a_redirect(psc: TestClient) -> None:
    response = _auth(psc, auth_params({"client_id": "nobody"}))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "invalid_client" in response.text


def test_unregistered_redirect_uri_is_never_followed(psc: TestClient) -> None:
    client = register(psc)
    for uri in ("https://evil.example/callback", REDIRECT + "/extra", REDIRECT + "?x=1"):
        response = _auth(psc, auth_params(client, redirect_uri=uri))
        assert response.status_code == 400, uri
        assert "location" not in response.headers


def test_missing_redirect_uri_is_refused_without_redirect(psc: TestClient) -> None:
    client = register(psc)
    params = auth_params(client)
    del params["redirect_uri"]
    response = _auth(psc, params)
    assert response.status_code == 400 and "location" not in response.headers


def _redirected_error(psc: TestClient, params: dict[str, str]) -> dict[str, str]:
    response = _auth(psc, params)
    assert response.status_code == 302
    assert response.headers["location"].startswith(REDIRECT)
    query = query_of(response.headers["location"])
    assert "code" not in query
    assert query["state"] == params["state"] and query["iss"] == ISSUER
    return query


def test_unsupported_response_type_is_redirected_with_state_and_iss(psc: TestClient) -> None:
    client = register(psc)
    query = _redirected_error(psc, auth_params(client, response_type="token"))
    assert query["error"] == "unsupported_response_type"


def test_acr_values_other_than_eidas1_is_refused(psc: TestClient) -> None:
    client = register(psc)
    query = _redirected_error(psc, auth_params(client, acr_values="eidas2"))
    assert query["error"] == "invalid_request"


def test_unknown_scope_is_refused(psc: TestClient) -> None:
    client = register(psc)
    assert _redirected_error(psc, auth_params(client, scope="openid admin"))["error"] == "invalid_scope"


def test_plain_pkce_is_refused_unless_the_client_allows_it(psc: TestClient) -> None:
    client = register(psc)
    params = auth_params(client, code_challenge="p" * 50, code_challenge_method="plain")
    assert _redirected_error(psc, params)["error"] == "invalid_request"
    params = auth_params(client, code_challenge="p" * 50)
    del params["code_challenge_method"]  # defaults to plain (RFC 7636 §4.3)
    assert _redirected_error(psc, params)["error"] == "invalid_request"


def test_pkce_is_required_unless_a_client_opts_out(psc: TestClient) -> None:
    """RFC 9700 §2.1.1: PKCE by default; a vendor whose software predates it can opt its client out."""
    client = register(psc)
    params = auth_params(client)
    del params["code_challenge"], params["code_challenge_method"]
    assert _redirected_error(psc, params)["error"] == "invalid_request"
    lax = register(psc, socle_require_pkce=False)
    params = auth_params(lax)
    del params["code_challenge"], params["code_challenge_method"]
    assert "code" in authorize(psc, params)


def test_unknown_login_hint_is_refused_in_auto_login(psc: TestClient) -> None:
    client = register(psc)
    assert (
        _redirected_error(psc, auth_params(client, login_hint="899999999999"))["error"] == "invalid_request"
    )


def test_wrong_code_verifier_gets_invalid_grant_and_no_token(psc: TestClient) -> None:
    client = register(psc)
    params = auth_params(client)
    code = authorize(psc, params)["code"]
    response = redeem(psc, client, code, "w" * 50)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert "access_token" not in response.json()


def test_missing_code_verifier_is_refused_when_a_challenge_was_sent(psc: TestClient) -> None:
    client = register(psc)
    code = authorize(psc, auth_params(client))["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    response = psc.post(OIDC + "/token", data=data, auth=(client["client_id"], client["client_secret"]))
    assert response.status_code == 400 and response.json()["error"] in ("invalid_request", "invalid_grant")


def test_redirect_uri_must_match_at_the_token_endpoint(psc: TestClient) -> None:
    client = register(psc, redirect_uris=[REDIRECT, "https://rp.example/other"])
    params = auth_params(client)
    code = authorize(psc, params)["code"]
    response = redeem(psc, client, code, params["_verifier"], redirect_uri="https://rp.example/other")
    assert response.json()["error"] == "invalid_grant"


def test_a_code_belongs_to_its_client(psc: TestClient) -> None:
    owner, thief = register(psc), register(psc)
    params = auth_params(owner)
    code = authorize(psc, params)["code"]
    assert redeem(psc, thief, code, params["_verifier"]).json()["error"] == "invalid_grant"


def test_a_replayed_code_is_refused_and_revokes_what_it_issued(psc: TestClient) -> None:
    client = register(psc)
    params = auth_params(client)
    code = authorize(psc, params)["code"]
    tokens = redeem(psc, client, code, params["_verifier"]).json()
    assert psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).status_code == 200
    replay = redeem(psc, client, code, params["_verifier"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).status_code == 401
    assert introspect(psc, client, tokens["refresh_token"]) == {"active": False}


def test_an_expired_code_is_refused(psc: TestClient) -> None:
    client = register(psc)
    params = auth_params(client)
    code = authorize(psc, params)["code"]
    engine = psc.app.state.database.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("UPDATE psc_code SET expires_at = 0 WHERE code = :c"), {"c": code})
    assert redeem(psc, client, code, params["_verifier"]).json()["error"] == "invalid_grant"


def test_bad_client_secret_is_a_401_with_www_authenticate(psc: TestClient) -> None:
    client = register(psc)
    params = auth_params(client)
    code = authorize(psc, params)["code"]
    data = code_form(code, params["_verifier"])
    response = psc.post(OIDC + "/token", data=data, auth=(client["client_id"], "wrong"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")
    # the code was not consumed by the failed attempt
    assert redeem(psc, client, code, params["_verifier"]).status_code == 200


def test_the_registered_auth_method_is_the_only_one_accepted(psc: TestClient) -> None:
    client = register(psc, token_endpoint_auth_method="client_secret_post")
    params = auth_params(client)
    code = authorize(psc, params)["code"]
    assert redeem(psc, client, code, params["_verifier"]).json()["error"] == "invalid_client"


def test_unsupported_grant_type(psc: TestClient) -> None:
    client = register(psc)
    response = psc.post(
        OIDC + "/token", data={"grant_type": "password"}, auth=(client["client_id"], client["client_secret"])
    )
    assert response.json()["error"] == "unsupported_grant_type"


def test_userinfo_without_token_or_with_a_bad_one_is_a_bearer_challenge(psc: TestClient) -> None:
    response = psc.get(OIDC + "/userinfo")
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
    response = psc.get(OIDC + "/userinfo", headers=bearer("not-a-token"))
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["www-authenticate"]


def test_userinfo_refuses_an_id_token_and_a_foreign_token(psc: TestClient) -> None:
    tokens = login(psc, register(psc))
    assert psc.get(OIDC + "/userinfo", headers=bearer(tokens["id_token"])).status_code == 401
    header, payload, _ = tokens["access_token"].split(".")
    forged = f"{header}.{payload}.{'A' * 342}"
    assert psc.get(OIDC + "/userinfo", headers=bearer(forged)).status_code == 401


def test_introspection_fields_and_inactive_tokens(psc: TestClient) -> None:
    client, resource = register(psc), register(psc)
    tokens = login(psc, client)
    active = introspect(psc, resource, tokens["access_token"])
    assert active["active"] is True
    assert active["SubjectNameID"] == active["username"] == active["preferred_username"]
    assert active["client_id"] == active["azp"] == client["client_id"]
    assert active["acr"] == "eidas3"
    refresh = introspect(psc, resource, tokens["refresh_token"])
    assert refresh["active"] is True and "SubjectNameID" not in refresh
    assert introspect(psc, resource, "garbage") == {"active": False}
    assert introspect(psc, resource, tokens["id_token"]) == {"active": False}


def test_introspection_needs_client_authentication(psc: TestClient) -> None:
    response = psc.post(OIDC + "/token/introspect", data={"token": "x"})
    assert response.status_code in (400, 401) and response.json()["error"] == "invalid_client"


def test_revoked_access_token_is_dead_everywhere(psc: TestClient) -> None:
    client = register(psc)
    tokens = login(psc, client)
    response = psc.post(
        OIDC + "/revoke",
        data={"token": tokens["access_token"], "token_type_hint": "access_token"},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert response.status_code == 200
    assert psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).status_code == 401
    assert introspect(psc, client, tokens["access_token"]) == {"active": False}


def test_revoking_a_refresh_token_kills_the_chain(psc: TestClient) -> None:
    client = register(psc)
    tokens = login(psc, client)
    auth = (client["client_id"], client["client_secret"])
    assert psc.post(OIDC + "/revoke", data={"token": tokens["refresh_token"]}, auth=auth).status_code == 200
    refreshed = psc.post(
        OIDC + "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=auth,
    )
    assert refreshed.json()["error"] == "invalid_grant"
    assert psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).status_code == 401


def test_another_client_cannot_revoke_or_refresh_my_tokens(psc: TestClient) -> None:
    owner, other = register(psc), register(psc)
    tokens = login(psc, owner)
    other_auth = (other["client_id"], other["client_secret"])
    psc.post(OIDC + "/revoke", data={"token": tokens["access_token"]}, auth=other_auth)
    assert psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).status_code == 200
    refreshed = psc.post(
        OIDC + "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=other_auth,
    )
    assert refreshed.json()["error"] == "invalid_grant"


def test_registration_rejects_bad_metadata(psc: TestClient) -> None:
    url = "/auth/realms/esante-wallet/clients-registrations/openid-connect"
    cases = [
        {"redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": "tls_client_auth"},
        {"redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": "private_key_jwt"},
        {"redirect_uris": ["https://rp.example/cb"], "socle_test_behaviour": "explode"},
        {"redirect_uris": ["https://rp.example/cb"], "userinfo_signed_response_alg": "HS256"},
        {"client_name": "no redirect"},
    ]
    for body in cases:
        response = psc.post(url, json=body)
        assert response.status_code == 400, body
        assert response.json()["error"] == "invalid_client_metadata", body
    assert psc.post(url, content=b"not json", headers={"content-type": "application/json"}).status_code == 400


def test_introspection_of_expired_and_foreign_tokens_is_inactive(psc: TestClient) -> None:
    client = register(psc)
    tokens = login(psc, client)
    engine = psc.app.state.database.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("UPDATE psc_token SET refresh_expires_at = 0"))
    assert introspect(psc, client, tokens["refresh_token"]) == {"active": False}
    refreshed = psc.post(
        OIDC + "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert refreshed.json()["error"] == "invalid_grant"
    stranger = RSAKey.generate_key(2048, auto_kid=True)
    now = int(time.time())
    foreign = jwt.encode(
        {"alg": "RS256", "kid": stranger.kid},
        {"iss": ISSUER, "typ": "Bearer", "sub": "x", "jti": "x", "iat": now, "exp": now + 60},
        stranger,
    )
    assert introspect(psc, client, foreign) == {"active": False}
    assert psc.get(OIDC + "/userinfo", headers=bearer(foreign)).status_code == 401
