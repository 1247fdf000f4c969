"""Per-client behaviours (adversarial ID tokens, private_key_jwt), key rotation, login page and SSO session."""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from services.prosanteconnect.clients import ADVERSARIAL

from .helpers import (
    FIRST,
    ISSUER,
    OIDC,
    auth_params,
    authorize,
    bearer,
    claims,
    code_form,
    login,
    query_of,
    redeem,
    register,
    start,
)

TEST_API = "/auth/realms/esante-wallet/socle"


def relying_party_accepts(psc: TestClient, client: dict[str, Any], tokens: dict[str, Any]) -> bool:
    """What a careful relying party checks on an ID token (OIDC Core §3.1.3.7) and userinfo (§5.3.2)."""
    keys = KeySet.import_key_set(psc.get(OIDC + "/certs").json())
    try:
        decoded = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": ISSUER},
            aud={"essential": True, "value": client["client_id"]},
            exp={"essential": True},
            nonce={"essential": True, "value": tokens["_nonce"]},
            acr={"essential": True, "value": "eidas1"},
        ).validate(decoded.claims)
    except (JoseError, ValueError):
        return False
    info = psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).json()
    return bool(info["sub"] == decoded.claims["sub"])


def test_a_normal_client_is_accepted_by_the_relying_party_checks(psc: TestClient) -> None:
    client = register(psc)
    assert relying_party_accepts(psc, client, login(psc, client))


@pytest.mark.parametrize("mode", ADVERSARIAL)
def test_each_adversarial_mode_is_caught_by_a_careful_relying_party(psc: TestClient, mode: str) -> None:
    client = register(psc)
    response = psc.put(
        f"{TEST_API}/clients/{client['client_id']}/settings", json={"socle_test_behaviour": mode}
    )
    assert response.status_code == 200 and response.json()["socle_test_behaviour"] == mode
    assert not relying_party_accepts(psc, client, login(psc, client))
    cleared = psc.put(
        f"{TEST_API}/clients/{client['client_id']}/settings", json={"socle_test_behaviour": None}
    )
    assert "socle_test_behaviour" not in cleared.json()
    assert relying_party_accepts(psc, client, login(psc, client))


def test_client_settings_api_refuses_unknown_values(psc: TestClient) -> None:
    client = register(psc)
    url = f"{TEST_API}/clients/{client['client_id']}/settings"
    assert psc.put(url, json={"socle_test_behaviour": "explode"}).status_code == 400
    assert psc.put(url, json={"redirect_uris": ["https://evil.example"]}).status_code == 400
    assert psc.put(f"{TEST_API}/clients/nobody/settings", json={}).status_code == 404


def _assertion(key: RSAKey, client_id: str, audience: str, jti: str | None = None) -> str:
    now = int(time.time())
    claims_ = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + 60}
    claims_["jti"] = jti or secrets.token_urlsafe(12)
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims_, key)


def test_private_key_jwt_with_jwks_by_value(psc: TestClient) -> None:
    key = RSAKey.generate_key(2048, auto_kid=True)
    client = register(
        psc, token_endpoint_auth_method="private_key_jwt", jwks={"keys": [key.as_dict(private=False)]}
    )
    assert "client_secret" not in client
    token_url = ISSUER + "/protocol/openid-connect/token"

    def redeem_with(assertion: str) -> Any:
        params = auth_params(client)
        code = authorize(psc, params)["code"]
        data = code_form(
            code,
            params["_verifier"],
            client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            client_assertion=assertion,
        )
        return psc.post(OIDC + "/token", data=data)

    assertion = _assertion(key, client["client_id"], token_url)
    assert redeem_with(assertion).status_code == 200
    assert redeem_with(assertion).json()["error"] == "invalid_client"  # jti replay
    stranger = RSAKey.generate_key(2048, auto_kid=True)
    assert (
        redeem_with(_assertion(stranger, client["client_id"], token_url)).json()["error"] == "invalid_client"
    )
    wrong_aud = _assertion(key, client["client_id"], "https://elsewhere.example/token")
    assert redeem_with(wrong_aud).json()["error"] == "invalid_client"


def test_key_rotation_keeps_the_old_key_for_verification(psc: TestClient) -> None:
    client = register(psc)
    before = login(psc, client)
    old_kids = {k["kid"] for k in psc.get(OIDC + "/certs").json()["keys"]}
    jwks = psc.post(TEST_API + "/keys/rotate").json()
    new_kids = {k["kid"] for k in jwks["keys"]} - old_kids
    assert len(new_kids) == 1 and old_kids < {k["kid"] for k in jwks["keys"]}
    after = login(psc, client)
    header_kid = jws.extract_compact(after["access_token"].encode()).headers()["kid"]
    assert header_kid in new_kids
    assert psc.get(OIDC + "/userinfo", headers=bearer(before["access_token"])).status_code == 200
    assert claims(psc, before["id_token"])["sub"] == claims(psc, after["id_token"])["sub"]


def test_sso_session_cookie_skips_login_until_logout(psc_interactive: TestClient) -> None:
    psc = psc_interactive
    client = register(psc)
    psc.cookies.clear()
    params = auth_params(client)
    sent = {k: v for k, v in params.items() if not k.startswith("_")}
    page = psc.get(OIDC + "/auth", params=sent)
    assert page.status_code == 200
    assert "Carte CPS" in page.text and "e-CPS" in page.text and FIRST in page.text
    assert 'type="radio" name="idnat"' in page.text and "<label>" in page.text

    done = psc.post(OIDC + "/auth/login", data={**sent, "idnat": "810000000025", "means": "CPS"})
    assert done.status_code == 302 and "code" in query_of(done.headers["location"])
    again = psc.get(OIDC + "/auth", params={**sent, "state": "second"})
    assert again.status_code == 302, "the SSO session answers without the login page"
    assert query_of(again.headers["location"])["state"] == "second"
    psc.get(OIDC + "/logout")
    assert psc.get(OIDC + "/auth", params=sent).status_code == 200


def test_ecps_login_waits_for_the_push_and_can_be_refused(psc_interactive: TestClient) -> None:
    psc = psc_interactive
    client = register(psc)
    psc.cookies.clear()
    params = auth_params(client)
    sent = {k: v for k, v in params.items() if not k.startswith("_")}

    started = psc.post(OIDC + "/auth/login", data={**sent, "idnat": FIRST, "means": "ECPS"})
    assert started.status_code == 303
    waiting_url = started.headers["location"]
    waiting = psc.get(waiting_url)
    assert waiting.status_code == 200 and "application e-CPS" in waiting.text
    assert 'http-equiv="refresh"' in waiting.text
    assert psc.get(waiting_url).status_code == 200, "still waiting: the phone has not answered"

    phone = psc.get("/auth/realms/esante-wallet/ecps", params={"idnat": FIRST})
    push_id = waiting_url.rsplit("/", 1)[1]
    assert push_id in phone.text and client["client_id"] in phone.text
    answered = psc.post(
        f"/auth/realms/esante-wallet/ecps/push/{push_id}", data={"idnat": FIRST, "decision": "approve"}
    )
    assert answered.status_code == 303
    done = psc.get(waiting_url)
    code = query_of(done.headers["location"])["code"]
    assert psc.get(waiting_url).status_code == 400, "a push finishes one login only"
    data = code_form(code, params["_verifier"])
    tokens = psc.post(OIDC + "/token", data=data, auth=(client["client_id"], client["client_secret"])).json()
    assert claims(psc, tokens["access_token"])["authMode"] == "MOBILE"

    refused_push = psc.post(OIDC + "/auth/login", data={**sent, "idnat": FIRST, "means": "ECPS"})
    refused_url = refused_push.headers["location"]
    assert psc.post(refused_url, data={"decision": "deny"}).status_code == 303
    refused = psc.get(refused_url)
    query = query_of(refused.headers["location"])
    assert query["error"] == "access_denied" and query["state"] == params["state"]


def test_prompt_none_without_session_is_login_required(psc_interactive: TestClient) -> None:
    psc = psc_interactive
    client = register(psc)
    psc.cookies.clear()
    sent = {k: v for k, v in auth_params(client, prompt="none").items() if not k.startswith("_")}
    response = psc.get(OIDC + "/auth", params=sent)
    assert query_of(response.headers["location"])["error"] == "login_required"


def test_the_static_socle_demo_client_from_the_configuration(psc: TestClient) -> None:
    demo = {"client_id": "socle-demo", "client_secret": "socle-demo-secret"}
    params = auth_params(demo, redirect_uri="http://testserver/callback")
    answer = authorize(psc, params)
    data = code_form(answer["code"], params["_verifier"], redirect_uri="http://testserver/callback")
    response = psc.post(OIDC + "/token", data=data, auth=("socle-demo", "socle-demo-secret"))
    assert response.status_code == 200
    assert claims(psc, response.json()["access_token"])["azp"] == "socle-demo"


def test_a_public_client_must_use_pkce(psc: TestClient) -> None:
    client = register(psc, token_endpoint_auth_method="none")
    assert "client_secret" not in client
    without = auth_params(client)
    del without["code_challenge"], without["code_challenge_method"]
    psc.cookies.clear()
    refused = psc.get(OIDC + "/auth", params={k: v for k, v in without.items() if not k.startswith("_")})
    assert query_of(refused.headers["location"])["error"] == "invalid_request"
    params = auth_params(client)
    code = authorize(psc, params)["code"]
    data = code_form(code, params["_verifier"], client_id=client["client_id"])
    assert psc.post(OIDC + "/token", data=data).status_code == 200


def test_private_key_jwt_with_a_jwks_uri(psc: TestClient) -> None:
    key = RSAKey.generate_key(2048, auto_kid=True)
    body = json.dumps({"keys": [key.as_dict(private=False)]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        uri = f"http://127.0.0.1:{server.server_port}/jwks"
        client = register(psc, token_endpoint_auth_method="private_key_jwt", jwks_uri=uri)
        params = auth_params(client)
        code = authorize(psc, params)["code"]
        data = code_form(
            code,
            params["_verifier"],
            client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            client_assertion=_assertion(key, client["client_id"], ISSUER),
        )
        assert psc.post(OIDC + "/token", data=data).status_code == 200
    finally:
        server.shutdown()
        server.server_close()


def test_two_instances_on_one_database_behave_as_one_provider(tmp_path: Path) -> None:
    with start(tmp_path, auto_login=True) as first, start(tmp_path, auto_login=True) as second:
        client = register(first)
        params = auth_params(client)
        code = authorize(first, params)["code"]
        tokens = redeem(second, client, code, params["_verifier"]).json()
        assert second.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).status_code == 200
        first.post(TEST_API + "/keys/rotate")
        rotated = login(first, client)
        assert second.get(OIDC + "/userinfo", headers=bearer(rotated["access_token"])).status_code == 200
        assert redeem(second, client, code, params["_verifier"]).json()["error"] == "invalid_grant"
        assert first.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).status_code == 401


def test_login_page_escapes_what_the_request_carries(psc_interactive: TestClient) -> None:
    client = register(psc_interactive)
    psc_interactive.cookies.clear()
    params = {
        k: v
        for k, v in auth_params(client, state='"><script>alert(1)</script>').items()
        if not k.startswith("_")
    }
    page = psc_interactive.get(OIDC + "/auth", params=params)
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_sim_reset_forgets_tokens_but_keeps_keys_and_static_clients(tmp_path: Path) -> None:
    with start(tmp_path, auto_login=True) as psc:
        client = register(psc)
        tokens = login(psc, client)
        kids = psc.get(OIDC + "/certs").json()
        assert psc.post("/_sim/reset").status_code in (200, 204)
        assert psc.get(OIDC + "/certs").json() == kids
        assert psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).status_code == 401
        gone = psc.post(
            OIDC + "/token/introspect",
            data={"token": "x"},
            auth=(client["client_id"], client["client_secret"]),
        )
        assert gone.status_code == 401  # registrations are test data too
        demo = {"client_id": "socle-demo", "client_secret": "socle-demo-secret"}
        assert "code" in authorize(psc, auth_params(demo, redirect_uri="http://testserver/callback"))


def test_a_professional_without_a_cps_card_cannot_log_in_with_one(psc_interactive: TestClient) -> None:
    psc = psc_interactive
    client = register(psc)
    psc.cookies.clear()
    params = auth_params(client)
    sent = {k: v for k, v in params.items() if not k.startswith("_")}
    nurse_without_card = "810000000041"
    refused = psc.post(OIDC + "/auth/login", data={**sent, "idnat": nurse_without_card, "means": "CPS"})
    assert query_of(refused.headers["location"])["error"] == "access_denied"
    unknown = psc.post(OIDC + "/auth/login", data={**sent, "idnat": "899999999999", "means": "CPS"})
    assert query_of(unknown.headers["location"])["error"] == "invalid_request"


def test_wallet_style_authorization_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCLE_PSC_AUTHORIZATION_URL", "http://testserver/auth")
    with start(tmp_path, auto_login=False) as psc:
        meta = psc.get("/auth/realms/esante-wallet/.well-known/wallet-openid-configuration").json()
        assert meta["authorization_endpoint"] == "http://testserver/auth"
        client = register(psc)
        params = auth_params(client)
        sent = {k: v for k, v in params.items() if not k.startswith("_")}
        page = psc.get("/auth", params=sent)
        assert page.status_code == 200 and 'action="/auth/login"' in page.text
        done = psc.post("/auth/login", data={**sent, "idnat": FIRST, "means": "CPS"})
        code = query_of(done.headers["location"])["code"]
        assert redeem(psc, client, code, params["_verifier"]).status_code == 200
        again = psc.get(OIDC + "/auth", params={**sent, "state": "sso"})
        assert again.status_code == 302, "the SSO cookie set on /auth reaches the realm paths"
