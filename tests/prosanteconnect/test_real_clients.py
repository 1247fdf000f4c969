"""Real relying parties against a running ``socle up``: authlib's client, panva's openid-client, the kernel.

These go over real HTTP to the shared session stack (``tests/conftest.py``), as a vendor's software would.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oidc.core import CodeIDToken
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import KeySet

from services.kernel.service import service_app
from services.kernel.settings import Settings
from services.kernel.tokens import CurrentProfessional
from services.prosanteconnect.clients import ADVERSARIAL
from tests.psc_login import REDIRECT_URI, issuer_of, login, register
from tests.support import RunningStack, require_tool

pytestmark = pytest.mark.xdist_group("psc-real-clients")
"""One worker runs these: a single ``npm ci`` and one stack for the Node relying party."""

NODE_DIR = Path(__file__).parent / "node"
CARDIOLOGIST = "810000000025"


@pytest.fixture(scope="module")
def issuer(stack: RunningStack) -> str:
    return issuer_of(stack.base_url)


@pytest.fixture(scope="module")
def node_rp() -> Path:
    """The Node relying party, its pinned packages installed from the lock file."""
    require_tool("node")
    if not (NODE_DIR / "node_modules" / "openid-client").exists():
        npm = require_tool("npm")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, capture_output=True)
    return NODE_DIR / "rp.mjs"


def run_rp(script: Path, issuer: str, client: dict[str, Any], **extra: str) -> dict[str, Any]:
    config = {
        "issuer": issuer,
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        "redirect_uri": REDIRECT_URI,
        **extra,
    }
    done = subprocess.run(
        ["node", str(script), json.dumps(config)], capture_output=True, text=True, timeout=60
    )
    assert done.stdout, done.stderr
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_openid_client_completes_discovery_pkce_id_token_userinfo_and_refresh(
    node_rp: Path, issuer: str
) -> None:
    client = register(issuer)
    result = run_rp(node_rp, issuer, client, login_hint=CARDIOLOGIST)
    assert result["ok"], result
    assert result["claims"]["acr"] == "eidas1"
    assert result["claims"]["preferred_username"] == CARDIOLOGIST
    assert result["userinfo"]["SubjectNameID"] == CARDIOLOGIST
    assert result["userinfo"]["SubjectRefPro"]["exercices"][0]["codeSavoirFaire"] == "SM04"
    assert result["refreshed_claims"]["sub"] == result["claims"]["sub"]
    assert result["rotated"] is True


@pytest.mark.parametrize("mode", ADVERSARIAL)
def test_openid_client_rejects_every_adversarial_mode(node_rp: Path, issuer: str, mode: str) -> None:
    client = register(issuer, socle_test_behaviour=mode)
    result = run_rp(node_rp, issuer, client)
    assert result["ok"] is False, result
    assert result["step"] == ("userinfo" if mode == "userinfo_sub_mismatch" else "token"), result


def test_openid_client_ciba_poll_with_approval_on_the_phone(node_rp: Path, issuer: str) -> None:
    client = register(issuer)
    config = {
        "issuer": issuer,
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        "login_hint": CARDIOLOGIST,
        "flow": "ciba",
    }
    process = subprocess.Popen(
        ["node", str(node_rp), json.dumps(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        pending: list[dict[str, Any]] = []
        deadline = time.monotonic() + 20
        while not pending and time.monotonic() < deadline:
            listed = httpx.get(issuer + "/socle/ciba", params={"idnat": CARDIOLOGIST}).json()
            pending = [r for r in listed if r["client_id"] == client["client_id"]]
            time.sleep(0.1)
        assert pending, "the relying party's CIBA request never arrived"
        assert pending[0]["binding_message"] == "42"
        time.sleep(1.2)  # let it poll at least once while pending
        approved = httpx.post(f"{issuer}/socle/ciba/{pending[0]['auth_req_id']}/approve")
        assert approved.json()["status"] == "approved"
        stdout, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    result = json.loads(stdout.splitlines()[-1])
    assert result["ok"], (result, stderr)
    assert result["claims"]["preferred_username"] == CARDIOLOGIST


def test_authlib_client_full_flow(issuer: str) -> None:
    client_info = register(issuer)
    meta = httpx.get(issuer + "/.well-known/wallet-openid-configuration").json()
    verifier, nonce = generate_token(48), generate_token(32)
    with OAuth2Client(
        client_info["client_id"],
        client_info["client_secret"],
        scope="openid scope_all",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    ) as client:
        url, state = client.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce, acr_values="eidas1"
        )
        answer = httpx.get(url)
        assert answer.status_code == 302
        token = client.fetch_token(
            meta["token_endpoint"],
            authorization_response=answer.headers["location"],
            code_verifier=verifier,
            state=state,
        )
        keys = KeySet.import_key_set(httpx.get(meta["jwks_uri"]).json())
        decoded = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
        id_token = CodeIDToken(
            decoded.claims,
            decoded.header,
            options={
                "iss": {"essential": True, "value": issuer},
                "aud": {"essential": True, "value": client_info["client_id"]},
            },
            params={"nonce": nonce, "access_token": token["access_token"]},
        )
        id_token.validate()
        assert id_token["acr"] == "eidas1"
        info = client.get(meta["userinfo_endpoint"]).json()
        assert info["sub"] == id_token["sub"]
        refreshed = client.refresh_token(meta["token_endpoint"])
        assert refreshed["refresh_token"] != token["refresh_token"]
        assert client.get(meta["userinfo_endpoint"]).status_code == 200


def tiny_service(stack: RunningStack, data_dir: Path) -> FastAPI:
    """A tiny service of our own whose route is guarded by the kernel's ``CurrentProfessional``."""
    settings = Settings(
        service="tiny",
        data_dir=data_dir,
        public_url=stack.base_url,
        prosanteconnect_url=stack.base_url + "/psc",
    )
    app: FastAPI = service_app("tiny", settings, title="tiny", error_format="json")

    @app.get("/whoami")
    async def whoami(caller: CurrentProfessional) -> dict[str, Any]:
        return {
            "idnat": caller.idnat,
            "profession": caller.profession,
            "organisation": caller.organisation_id,
        }

    return app


def test_kernel_dependency_accepts_a_psc_token_and_refuses_a_revoked_one(
    stack: RunningStack, tmp_path: Path
) -> None:
    app = tiny_service(stack, tmp_path)
    tokens = login(stack.base_url, idnat=CARDIOLOGIST)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}

    async def scenario() -> list[httpx.Response]:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tiny") as client,
        ):
            accepted = await client.get("/whoami", headers=bearer)
            anonymous = await client.get("/whoami")
            async with httpx.AsyncClient() as psc:
                revoked = await psc.post(
                    issuer_of(stack.base_url) + "/protocol/openid-connect/revoke",
                    data={"token": tokens["access_token"]},
                    auth=(tokens["client_id"], tokens["client_secret"]),
                )
            assert revoked.status_code == 200
            refused = await client.get("/whoami", headers=bearer)
            return [accepted, anonymous, refused]

    accepted, anonymous, refused = asyncio.run(scenario())
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {
        "idnat": CARDIOLOGIST,
        "profession": "10",
        "organisation": accepted.json()["organisation"],
    }
    assert accepted.json()["organisation"].startswith("F")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
    assert refused.status_code == 401 and "invalid_token" in refused.headers["www-authenticate"]


def test_the_traffic_record_names_the_client_and_the_professional(stack: RunningStack) -> None:
    tokens = login(stack.base_url, idnat=CARDIOLOGIST)
    deadline = time.monotonic() + 10
    exchanges: list[dict[str, Any]] = []
    while time.monotonic() < deadline:  # the recorder writes in batches
        answer = httpx.get(
            stack.base_url + "/_sim/traffic",
            params={"service": "prosanteconnect", "client_id": tokens["client_id"], "bodies": "false"},
        ).json()
        exchanges = answer["exchanges"]
        if any(e["path"].endswith("/token") for e in exchanges):
            break
        time.sleep(0.1)
    token_calls = [e for e in exchanges if e["path"].endswith("/token")]
    assert token_calls and token_calls[-1]["idnat"] == CARDIOLOGIST
    assert any(e["path"].endswith("/auth") for e in exchanges)


def test_concurrent_logins_all_succeed_with_distinct_sessions(stack: RunningStack) -> None:
    client = register(stack.base_url)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: login(stack.base_url, client=client), range(24)))
    sessions = {r["session_state"] for r in results}
    assert len(sessions) == 24
    assert all(r["access_token"] and r["refresh_token"] for r in results)
