"""How the console reaches the stack: over HTTP only, like any other client of socle.

Mounted in ``socle up`` the runner hands over the in-process transport of the whole stack, so a page
calls ``/_sim`` and the services through their real routes and middleware without a socket. Run alone
(its own container), it calls ``SOCLE_STACK_URL``, a base that lays out the contract's paths. Calls made
for a logged-in professional carry that professional's access token and never the internal secret:
the console must meet the same access rules as vendor software.
"""

from __future__ import annotations

import httpx

from services.kernel.errors import ServiceUnavailable
from services.kernel.peers import IN_PROCESS_HOST
from services.kernel.settings import PSC_REALM_PATH, SERVICE_PREFIXES

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
CALLER = {"x-socle-caller": "console"}


class Gateway:
    def __init__(self, stack_url: str | None) -> None:
        self.stack_url = stack_url.rstrip("/") if stack_url else None
        self.transport: httpx.AsyncBaseTransport | None = None
        self._client: httpx.AsyncClient | None = None

    def attach(self, transport: httpx.AsyncBaseTransport) -> None:
        """Reach the stack in-process (one-process mode)."""
        self.transport = transport

    @property
    def base(self) -> str:
        if self.stack_url:
            return self.stack_url
        if self.transport is not None:
            return IN_PROCESS_HOST
        raise ServiceUnavailable("the console is not attached to a stack: set SOCLE_STACK_URL")

    def url(self, service: str, path: str) -> str:
        """The absolute URL of ``path`` inside ``service`` (``sim`` for the stack's ``/_sim`` routes)."""
        prefix = "" if service == "sim" else SERVICE_PREFIXES[service]
        return f"{self.base}{prefix}{path}"

    def endpoint(self, name: str) -> str:
        """A PSC endpoint under ``protocol/openid-connect`` as the console's server side reaches it."""
        return self.url("prosanteconnect", f"{PSC_REALM_PATH}/protocol/openid-connect/{name}")

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            transport = None if self.stack_url else self.transport
            self._client = httpx.AsyncClient(transport=transport, timeout=TIMEOUT, headers=CALLER)
        return self._client

    def client_kwargs(self) -> dict[str, object]:
        """Arguments for another client (authlib's) that must reach the stack the same way."""
        transport = None if self.stack_url else self.transport
        return {"transport": transport, "timeout": TIMEOUT, "headers": CALLER}

    async def get(self, service: str, path: str, **kwargs: object) -> httpx.Response:
        try:
            return await self.client.get(self.url(service, path), **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"{service} unreachable: {exc}") from exc

    async def send(self, method: str, service: str, path: str, **kwargs: object) -> httpx.Response:
        try:
            return await self.client.request(method, self.url(service, path), **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"{service} unreachable: {exc}") from exc

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
