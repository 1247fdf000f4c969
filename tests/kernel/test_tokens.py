"""How a protected route answers before a token is even checked against Pro Santé Connect."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.kernel.service import service_app
from services.kernel.settings import Settings
from services.kernel.tokens import CurrentCaller, ServiceCaller, _challenge


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    app = service_app("dmp", Settings(service="dmp", data_dir=tmp_path), title="t", error_format="fhir")

    @app.get("/who")
    async def who(caller: CurrentCaller) -> dict[str, str]:
        return {"service": caller.service} if isinstance(caller, ServiceCaller) else {"idnat": caller.idnat}

    return TestClient(app)


def test_no_token_gets_a_bearer_challenge(client: TestClient) -> None:
    with client:
        response = client.get("/who")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="socle"'
    assert response.json()["issue"][0]["code"] == "login"


def test_another_scheme_is_an_invalid_request(client: TestClient) -> None:
    with client:
        response = client.get("/who", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert response.status_code == 401
    assert 'error="invalid_request"' in response.headers["www-authenticate"]


def test_the_internal_secret_identifies_a_peer_service_and_a_wrong_one_does_not(client: TestClient) -> None:
    with client:
        secret = client.app.state.runtime.internal_token  # type: ignore[attr-defined]
        ok = client.get("/who", headers={"X-Socle-Internal": secret, "X-Socle-Caller": "mssante"})
        assert ok.json() == {"service": "mssante"}
        wrong = client.get("/who", headers={"X-Socle-Internal": secret + "x"})
        assert wrong.status_code == 401


def test_challenge_descriptions_stay_within_the_header_grammar() -> None:
    header = _challenge("invalid_token", 'Pro Santé "Connect" \\ refused')["WWW-Authenticate"]
    header.encode("ascii")
    assert header.endswith('error_description="Pro Sant Connect  refused"')
