"""How a protected route answers before a token is even checked against Pro Santé Connect, and how\nthe verifier keeps the tokens whose signature it checked."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from services.kernel import tokens
from services.kernel.errors import Unauthorized
from services.kernel.service import service_app
from services.kernel.settings import Settings
from services.kernel.tokens import CurrentCaller, PscTokenVerifier, ServiceCaller, _challenge


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


ISSUER = "http://psc.test/auth/realms/esante-wallet"


class _Certs:
    """PSC's certs endpoint as the verifier's peer client sees it, counting fetches."""

    def __init__(self, key: RSAKey) -> None:
        self.jwks = KeySet([key]).as_dict(private=False)
        self.fetches = 0

    async def get(self, path: str, **_: object) -> httpx.Response:
        self.fetches += 1
        return httpx.Response(200, json=self.jwks, request=httpx.Request("GET", "http://psc.test" + path))


def _verifier(key: RSAKey) -> PscTokenVerifier:
    certs = _Certs(key)
    state = SimpleNamespace(
        settings=SimpleNamespace(psc_issuer=ISSUER), peers=SimpleNamespace(client=lambda _: certs)
    )
    return PscTokenVerifier(SimpleNamespace(state=state))


def _token(key: RSAKey, lifetime: int = 60) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "899700218896", "iat": now, "exp": now + lifetime, "typ": "Bearer"}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


@pytest.fixture
def signatures(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token whose signature the verifier checks."""
    checked: list[str] = []
    decode = tokens.jwt.decode

    def counting(token: str, *args: object, **kwargs: object) -> object:
        checked.append(token)
        return decode(token, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tokens.jwt, "decode", counting)
    return checked


def test_a_signature_is_checked_once_and_the_expiry_on_every_use(
    signatures: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    verifier, token = _verifier(key), _token(key, lifetime=60)
    first = asyncio.run(verifier.claims(token))
    assert asyncio.run(verifier.claims(token)) == first
    assert signatures == [token]
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(Unauthorized, match="expired"):
        asyncio.run(verifier.claims(token))


def test_fetching_the_keys_again_forgets_every_verified_token(signatures: list[str]) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    verifier, token = _verifier(key), _token(key)
    asyncio.run(verifier.claims(token))
    asyncio.run(verifier._fetch_keys())
    asyncio.run(verifier.claims(token))
    assert signatures == [token, token]


def test_a_bad_signature_is_never_kept(signatures: list[str]) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    forger = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    verifier, forged = _verifier(key), _token(forger)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            asyncio.run(verifier.claims(forged))
    assert signatures == [forged, forged]
