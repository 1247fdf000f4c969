"""The running socle stack as the suite sees it: discovered from its ``/_sim`` routes, over HTTP only.

The suite never imports the services: a vendor points it at any stack (one process, compose, remote).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

PSC_REALM = "/psc/auth/realms/esante-wallet"
PAGE = 1000


class StackError(Exception):
    """The stack is unreachable or answered something the suite cannot use."""


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]


class Stack:
    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    @property
    def issuer(self) -> str:
        return self.base_url + PSC_REALM

    def urls(self) -> dict[str, str]:
        """Public base URLs of each service in one-process mode (the product contract's URL table)."""
        base = self.base_url
        return {
            "base": base,
            "psc_issuer": self.issuer,
            "ins": f"{base}/ins",
            "dmp": f"{base}/dmp",
            "mss": f"{base}/mss",
            "annuaire": f"{base}/annuaire",
        }

    def _get(self, path: str, **params: Any) -> Any:
        try:
            response = self.http.get(path, params={k: v for k, v in params.items() if v is not None})
        except httpx.HTTPError as exc:
            raise StackError(f"cannot reach {self.base_url}{path}: {exc}") from exc
        if response.status_code >= 400:
            raise StackError(f"{path} answered {response.status_code}: {response.text[:300]}")
        return response.json()

    def health(self) -> dict[str, Any]:
        try:
            response = self.http.get("/_sim/health")
        except httpx.HTTPError as exc:
            raise StackError(f"cannot reach {self.base_url}: {exc}") from exc
        return {"ready": response.status_code == 200, **response.json()}

    def mail_endpoint(self, health: dict[str, Any], component: str, default: int) -> tuple[str, int]:
        """Host and port of MSSanté's SMTP or IMAP listener, as its readiness reports them."""
        mss = health.get("services", {}).get("mssante", {}).get("components", {})
        url = urlsplit(str(mss.get(component, {}).get("url", "")))
        host = url.hostname or urlsplit(self.base_url).hostname or "127.0.0.1"
        return host, url.port or default

    def fixtures(self) -> dict[str, Any]:
        return dict(self._get("/_sim/fixtures"))

    def last_exchange_id(self) -> int:
        rows = self._get("/_sim/traffic", order="desc", limit=1, bodies="false")["exchanges"]
        return int(rows[0]["id"]) if rows else 0

    def traffic(self, *, since_id: int) -> list[dict[str, Any]]:
        """Every exchange after ``since_id``, with bodies, oldest first."""
        out: list[dict[str, Any]] = []
        while True:
            page = self._get("/_sim/traffic", since_id=since_id, limit=PAGE)["exchanges"]
            out.extend(page)
            if len(page) < PAGE:
                return out
            since_id = page[-1]["id"]

    def last_message_id(self, *, address: str) -> int:
        """The newest MSSanté message id about ``address`` (0 when none): a scenario's messages come after."""
        found = self._get("/mss/api/messages", address=address, limit=1)["messages"]
        return int(found[0]["id"]) if found else 0

    def messages(self, *, address: str, after: int) -> list[dict[str, Any]]:
        """MSSanté messages sent from or to ``address`` after message ``after``, each with its raw source."""
        listed = self._get("/mss/api/messages", address=address, limit=200)["messages"]
        found = [message for message in listed if int(message["id"]) > after]
        for message in found:
            response = self.http.get(f"/mss/api/messages/{message['id']}/raw")
            message["raw"] = response.text if response.status_code == 200 else ""
        return list(found)

    def add_fault(self, rule: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post("/_sim/faults", json=rule)
        if response.status_code >= 400:
            raise StackError(f"fault injection refused: {response.status_code} {response.text[:300]}")
        return dict(response.json())

    def clear_faults(self) -> None:
        self.http.delete("/_sim/faults")

    def register_client(
        self,
        *,
        name: str,
        redirect_uris: list[str],
        post_logout_redirect_uris: list[str],
        extra: dict[str, Any] | None = None,
    ) -> RegisteredClient:
        """A fresh PSC client (RFC 7591 dynamic registration); ``extra`` carries socle's test settings."""
        metadata = {
            # PSC refuses a login without PKCE by default; the suite lets it through so that the missing
            # PKCE shows in the evidence and fails its own check (PSC-02) instead of stopping the scenario.
            "socle_require_pkce": False,
            **(extra or {}),
            "client_name": name,
            "redirect_uris": redirect_uris,
            "post_logout_redirect_uris": post_logout_redirect_uris,
            "grant_types": ["authorization_code", "refresh_token", "urn:openid:params:grant-type:ciba"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
        }
        url = f"{PSC_REALM}/clients-registrations/openid-connect"
        try:
            response = self.http.post(url, json=metadata)
        except httpx.HTTPError as exc:
            raise StackError(f"cannot register a PSC client: {exc}") from exc
        if response.status_code not in (200, 201):
            raise StackError(
                f"PSC client registration answered {response.status_code}: {response.text[:300]}"
            )
        data = response.json()
        return RegisteredClient(
            client_id=data["client_id"],
            client_secret=data.get("client_secret", ""),
            redirect_uris=tuple(data.get("redirect_uris", redirect_uris)),
            post_logout_redirect_uris=tuple(data.get("post_logout_redirect_uris", post_logout_redirect_uris)),
        )
