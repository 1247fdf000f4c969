"""CIBA in poll mode end to end (request, e-CPS approval, polling errors) and logout with back-channel notices."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs

import pytest
import sqlalchemy
from fastapi.testclient import TestClient

from .helpers import FIRST, ISSUER, OIDC, bearer, claims, introspect, login, query_of, register

CIBA = OIDC + "/ext/ciba/auth"
TEST_API = "/auth/realms/esante-wallet/socle"
GRANT = "urn:openid:params:grant-type:ciba"


def ciba_request(psc: TestClient, client: dict[str, Any], **extra: str) -> Any:
    data = {
        "scope": "openid scope_all",
        "acr_values": "eidas1",
        "login_hint": FIRST,
        "binding_message": "42",
        **extra,
    }
    return psc.post(CIBA, data=data, auth=(client["client_id"], client["client_secret"]))


def poll(psc: TestClient, client: dict[str, Any], auth_req_id: str) -> Any:
    return psc.post(
        OIDC + "/token",
        data={"grant_type": GRANT, "auth_req_id": auth_req_id},
        auth=(client["client_id"], client["client_secret"]),
    )


def _age_last_poll(psc: TestClient, auth_req_id: str) -> None:
    """Move the last poll one interval into the past instead of sleeping."""
    engine = psc.app.state.database.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(
            sqlalchemy.text("UPDATE psc_ciba SET last_poll = last_poll - 5 WHERE auth_req_id = :i"),
            {"i": auth_req_id},
        )


def test_ciba_poll_until_the_phone_approves(psc: TestClient) -> None:
    client = register(psc)
    ack = ciba_request(psc, client)
    assert ack.status_code == 200
    body = ack.json()
    assert body["expires_in"] == 120 and body["interval"] == 1
    auth_req_id = body["auth_req_id"]

    pending = poll(psc, client, auth_req_id)
    assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"
    assert poll(psc, client, auth_req_id).json()["error"] == "slow_down"

    waiting = psc.get(TEST_API + "/ciba", params={"idnat": FIRST}).json()
    assert [r["binding_message"] for r in waiting if r["auth_req_id"] == auth_req_id] == ["42"]
    page = psc.get("/auth/realms/esante-wallet/ecps", params={"idnat": FIRST})
    assert "42" in page.text and "Accepter" in page.text
    decided = psc.post(
        f"/auth/realms/esante-wallet/ecps/{auth_req_id}", data={"idnat": FIRST, "decision": "approve"}
    )
    assert decided.status_code == 303

    _age_last_poll(psc, auth_req_id)
    tokens = poll(psc, client, auth_req_id)
    assert tokens.status_code == 200, tokens.text
    access = claims(psc, tokens.json()["access_token"])
    assert access["preferred_username"] == FIRST and access["authMode"] == "MOBILE"
    assert claims(psc, tokens.json()["id_token"])["acr"] == "eidas1"
    assert psc.get(OIDC + "/userinfo", headers=bearer(tokens.json()["access_token"])).status_code == 200
    assert poll(psc, client, auth_req_id).json()["error"] == "invalid_grant"  # redeemed once only


def test_ciba_refused_and_expired_requests(psc: TestClient) -> None:
    client = register(psc)
    refused = ciba_request(psc, client).json()["auth_req_id"]
    assert psc.post(f"{TEST_API}/ciba/{refused}/deny").json()["status"] == "denied"
    assert poll(psc, client, refused).json()["error"] == "access_denied"

    expired = ciba_request(psc, client, requested_expiry="1").json()["auth_req_id"]
    engine = psc.app.state.database.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(
            sqlalchemy.text("UPDATE psc_ciba SET expires_at = 0 WHERE auth_req_id = :i"), {"i": expired}
        )
    assert poll(psc, client, expired).json()["error"] == "expired_token"
    assert psc.post(f"{TEST_API}/ciba/{expired}/approve").status_code == 404


def test_ciba_request_rules(psc: TestClient) -> None:
    client = register(psc)
    assert ciba_request(psc, client, login_hint="899999999999").json()["error"] == "unknown_user_id"
    assert ciba_request(psc, client, scope="scope_all").json()["error"] == "invalid_scope"
    assert ciba_request(psc, client, binding_message="x" * 80).json()["error"] == "invalid_binding_message"
    assert ciba_request(psc, client, channel="FAX").json()["error"] == "invalid_request"
    assert ciba_request(psc, client, acr_values="eidas2").json()["error"] == "invalid_request"
    no_ciba = register(psc, grant_types=["authorization_code"])
    assert ciba_request(psc, no_ciba).json()["error"] == "unauthorized_client"
    bad_auth = psc.post(
        CIBA, data={"scope": "openid", "login_hint": FIRST}, auth=(client["client_id"], "nope")
    )
    assert bad_auth.status_code == 401 and bad_auth.json()["error"] == "invalid_client"
    other = register(psc)
    auth_req_id = ciba_request(psc, client).json()["auth_req_id"]
    assert poll(psc, other, auth_req_id).json()["error"] == "invalid_grant"


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        form = parse_qs(self.rfile.read(length).decode())
        self.received.append(form["logout_token"][0])
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def backchannel_receiver() -> Iterator[tuple[str, list[str]]]:
    """A relying party's back-channel logout endpoint (a real HTTP listener)."""
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/backchannel", _Receiver.received
    server.shutdown()
    server.server_close()


def test_logout_ends_the_session_revokes_tokens_and_notifies_back_channel(
    psc: TestClient, backchannel_receiver: tuple[str, list[str]]
) -> None:
    uri, received = backchannel_receiver
    client = register(psc, backchannel_logout_uri=uri)
    tokens = login(psc, client)
    response = psc.get(
        OIDC + "/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "https://rp.example/bye",
            "state": "s-1",
        },
    )
    assert response.status_code == 302
    assert response.headers["location"].startswith("https://rp.example/bye")
    assert query_of(response.headers["location"])["state"] == "s-1"
    assert psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).status_code == 401
    assert introspect(psc, client, tokens["refresh_token"]) == {"active": False}
    assert len(received) == 1
    notice = claims(psc, received[0])
    assert notice["aud"] == client["client_id"] and notice["iss"] == ISSUER
    assert notice["sid"] == claims(psc, tokens["id_token"])["sid"]
    assert "http://schemas.openid.net/event/backchannel-logout" in notice["events"]


def test_logout_without_redirect_shows_the_closed_session_page(psc: TestClient) -> None:
    tokens = login(psc, register(psc))
    response = psc.get(OIDC + "/logout", params={"id_token_hint": tokens["id_token"]})
    assert response.status_code == 200 and "Session fermée" in response.text
    assert psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).status_code == 401


def test_logout_never_redirects_to_an_unregistered_uri(psc: TestClient) -> None:
    client = register(psc)
    tokens = login(psc, client)
    response = psc.get(
        OIDC + "/logout",
        params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://evil.example/"},
    )
    assert response.status_code == 400 and "location" not in response.headers
    assert psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).status_code == 200
    no_hint = psc.get(OIDC + "/logout", params={"post_logout_redirect_uri": "https://rp.example/bye"})
    assert no_hint.status_code == 400
    forged = psc.get(OIDC + "/logout", params={"id_token_hint": tokens["access_token"]})
    assert forged.status_code == 400


def test_ciba_auto_approval_for_a_client_without_a_phone(psc: TestClient) -> None:
    client = register(psc, socle_ciba_auto_approve=True)
    auth_req_id = ciba_request(psc, client).json()["auth_req_id"]
    assert poll(psc, client, auth_req_id).json()["error"] == "authorization_pending"
    _age_last_poll(psc, auth_req_id)
    tokens = poll(psc, client, auth_req_id)
    assert tokens.status_code == 200, tokens.text
    assert claims(psc, tokens.json()["access_token"])["authMode"] == "MOBILE"
