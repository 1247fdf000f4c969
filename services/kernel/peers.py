"""HTTP clients for peer services: the only way one service reaches another.

In compose the peer's URL comes from ``SOCLE_<SERVICE>_URL``; in one process the runner hands over an
``httpx.ASGITransport`` of the whole stack, so the request still goes through the peer's routes,
middleware and traffic record: one code path either way. Each peer is then reached at its own mounted
app, as the stack's router would have passed the request on (same path, the mount prefix as
``root_path``), without going again through the stack's outer middleware and its routing of every
request: every DMP request asks PSC and INS, so that layer was paid twice more per request.
"""

from __future__ import annotations

import httpx
from starlette.routing import Mount

from .errors import ServiceUnavailable
from .settings import SERVICE_PREFIXES, Settings
from .traffic import CALLER_HEADER

INTERNAL_HEADER = "x-socle-internal"
IN_PROCESS_HOST = "http://socle.internal"
PEER_TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class Peers:
    def __init__(self, settings: Settings, internal_token: str) -> None:
        self.settings = settings
        self.internal_token = internal_token
        self.transport: httpx.AsyncBaseTransport | None = None
        self._clients: dict[str, httpx.AsyncClient] = {}

    def attach(self, transport: httpx.AsyncBaseTransport) -> None:
        """Reach every peer without a configured URL through ``transport`` (one-process mode)."""
        self.transport = transport

    def base_url(self, name: str) -> str:
        configured = self.settings.peer_url(name)
        if configured:
            return configured
        if self.transport is not None:
            return IN_PROCESS_HOST + SERVICE_PREFIXES[name]
        raise ServiceUnavailable(f"peer service {name!r} is not reachable: set SOCLE_{name.upper()}_URL")

    def client(self, name: str) -> httpx.AsyncClient:
        """A shared client whose base URL is the peer service's root."""
        if name not in self._clients:
            base_url = self.base_url(name)
            transport = None if self.settings.peer_url(name) else self._in_process(name)
            self._clients[name] = httpx.AsyncClient(
                base_url=base_url,
                transport=transport,
                timeout=PEER_TIMEOUT,
                headers={CALLER_HEADER: self.settings.service, INTERNAL_HEADER: self.internal_token},
            )
        return self._clients[name]

    def _in_process(self, name: str) -> httpx.AsyncBaseTransport | None:
        """The peer's own mounted app when the stack's transport is an ASGI one, else that transport."""
        transport = self.transport
        if not isinstance(transport, httpx.ASGITransport):
            return transport
        prefix = SERVICE_PREFIXES[name]
        for route in getattr(transport.app, "routes", []):
            if isinstance(route, Mount) and route.path == prefix:
                return httpx.ASGITransport(app=route.app, root_path=prefix)
        return transport

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
