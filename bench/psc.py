"""PSC: complete logins per second and introspections per second, against panva's oidc-provider.

A login is what a vendor's CI does: authorization request (auto-login, PKCE S256), redemption of the
code at the token endpoint (client_secret_basic + code_verifier), then userinfo with the access token.
oidc-provider (``bench/node/oidc.mjs``) serves the same flow with RS256 ID tokens; it has no auto-login,
so its login takes two more redirects through an interaction route that logs in and consents at once.
Both servers run side by side and are measured in alternating rounds with the same asyncio client;
the ceiling is the same client's request rate on the bare uvicorn app.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
from contextlib import nullcontext
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from bench.harness import bare, clean_env, load, node_tool, row, server
from tests.psc_login import issuer_of, pkce_pair, register
from tests.support import free_port, start_stack

CONCURRENCY = 8
LOGINS = int(os.environ.get("BENCH_LOGINS", 300))
INTROSPECTIONS = 1000
ROUNDS = 2
OIDC = "/protocol/openid-connect"


class Flow:
    """Endpoints and client of one provider, and how its authorization answer reaches the callback."""

    def __init__(self, issuer: str, client_id: str, secret: str, redirect: str, paths: dict[str, str]):
        self.issuer, self.client_id, self.redirect = issuer, client_id, redirect
        self.auth = httpx.BasicAuth(client_id, secret)
        self.paths = paths
        self.scope = "openid scope_all" if "scope_all" in paths else "openid profile"

    async def code(self, http: httpx.AsyncClient, challenge: str) -> str:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect,
            "scope": self.scope,
            "acr_values": "eidas1",
            "state": "bench-state",
            "nonce": "bench-nonce-0123456789",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        response = await http.get(self.issuer + self.paths["auth"], params=params)
        while not response.headers.get("location", "").startswith(self.redirect):
            if response.status_code not in (302, 303):
                raise RuntimeError(f"authorization answered {response.status_code}: {response.text[:300]}")
            response = await http.get(httpx.URL(self.issuer).join(response.headers["location"]))
        return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]

    async def login(self, http: httpx.AsyncClient) -> str:
        verifier, challenge = pkce_pair()
        code = await self.code(http, challenge)
        token = await http.post(
            self.issuer + self.paths["token"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect,
                "code_verifier": verifier,
            },
            auth=self.auth,
        )
        token.raise_for_status()
        access = token.json()["access_token"]
        info = await http.get(
            self.issuer + self.paths["userinfo"], headers={"Authorization": f"Bearer {access}"}
        )
        info.raise_for_status()
        return str(access)

    async def introspect(self, http: httpx.AsyncClient, token: str) -> None:
        answer = await http.post(
            self.issuer + self.paths["introspect"], data={"token": token}, auth=self.auth
        )
        if not answer.json().get("active"):
            raise RuntimeError(f"introspection: {answer.text[:300]}")


async def _logins(flow: Flow) -> float:
    """Each client keeps its connection (as a load generator does) but starts every login cookie-less."""
    clients: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
    for _ in range(CONCURRENCY):
        clients.put_nowait(httpx.AsyncClient(timeout=30))

    async def one(_: int) -> None:
        http = await clients.get()
        http.cookies.clear()
        try:
            await flow.login(http)
        finally:
            clients.put_nowait(http)

    rate, _ = await load(one, total=LOGINS, concurrency=CONCURRENCY)
    while not clients.empty():
        await clients.get_nowait().aclose()
    return rate


async def _introspections(flow: Flow) -> float:
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=CONCURRENCY)) as http:
        token = await flow.login(http)

        async def one(_: int) -> None:
            await flow.introspect(http, token)

        rate, _ = await load(one, total=INTROSPECTIONS, concurrency=CONCURRENCY)
    return rate


async def _ceiling(url: str) -> float:
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=CONCURRENCY)) as http:

        async def one(_: int) -> None:
            (await http.get(url)).raise_for_status()

        rate, _ = await load(one, total=INTROSPECTIONS, concurrency=CONCURRENCY)
    return rate


def _socle_flow(base_url: str) -> Flow:
    client = register(base_url)
    paths = {
        "auth": OIDC + "/auth",
        "token": OIDC + "/token",
        "userinfo": OIDC + "/userinfo",
        "introspect": OIDC + "/token/introspect",
        "scope_all": "",
    }
    return Flow(
        issuer_of(base_url), client["client_id"], client["client_secret"], client["redirect_uri"], paths
    )


def _oidc_flow(port: int) -> Flow:
    paths = {"auth": "/auth", "token": "/token", "userinfo": "/me", "introspect": "/token/introspection"}
    return Flow(f"http://127.0.0.1:{port}", "bench", "bench-secret", "http://127.0.0.1/callback", paths)


def run() -> list[dict[str, object]]:
    provider = node_tool("oidc-provider")
    figures: dict[str, list[float]] = {k: [] for k in ("login", "intro", "base_login", "base_intro")}
    with tempfile.TemporaryDirectory() as folder:
        stack = start_stack(Path(folder))
        oidc_port, bare_port = free_port(), free_port()
        try:
            socle = _socle_flow(stack.base_url)
            node_args = ["node", str(Path(__file__).parent / "node" / "oidc.mjs"), str(oidc_port)]
            with (
                server(node_args, f"http://127.0.0.1:{oidc_port}/.well-known/openid-configuration")
                if provider
                else nullcontext(),
                server(bare(bare_port), f"http://127.0.0.1:{bare_port}/", clean_env()),
            ):
                baseline = _oidc_flow(oidc_port)
                asyncio.run(_logins(socle))  # warm-up: imports, key loading, first connections
                if provider:
                    asyncio.run(_logins(baseline))
                for _ in range(ROUNDS):
                    figures["login"].append(asyncio.run(_logins(socle)))
                    figures["intro"].append(asyncio.run(_introspections(socle)))
                    if provider:
                        figures["base_login"].append(asyncio.run(_logins(baseline)))
                        figures["base_intro"].append(asyncio.run(_introspections(baseline)))
                ceiling = asyncio.run(_ceiling(f"http://127.0.0.1:{bare_port}/"))
        finally:
            stack.stop()
    median = {k: statistics.median(v) if v else None for k, v in figures.items()}
    login, intro = median["login"] or 0.0, median["intro"] or 0.0
    label = "oidc-provider"
    return [
        row(
            f"PSC logins/s (authorize+token+userinfo), {CONCURRENCY} clients",
            login,
            median["base_login"],
            label,
            ">= 1.0",
        ),
        row(f"PSC introspections/s, {CONCURRENCY} clients", intro, median["base_intro"], label, ">= 1.0"),
        row(
            "PSC login requests/s (3 per login) against the ceiling",
            login * 3,
            ceiling,
            "bare uvicorn req/s",
        ),
        row("PSC introspections/s against the ceiling", intro, ceiling, "bare uvicorn req/s"),
    ]
