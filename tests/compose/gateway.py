"""A small path-prefix gateway for the tests: what nginx does in compose, with round-robin over replicas.

``/dmp/...`` goes to one of the DMP instances with the prefix stripped, each request to the next
instance in turn (what Docker's DNS and nginx do with ``--scale dmp=2``). It runs in a thread of the
test process on a free port; redirects are passed through untouched, like a reverse proxy.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator, Mapping, Sequence

import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import Response

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "content-length"}


class RoundRobinGateway:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.routes: dict[str, Iterator[str]] = {}
        self.shared: dict[str, Iterator[str]] = {}
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def route(self, prefix: str, backends: Sequence[str]) -> None:
        self.routes[prefix.rstrip("/")] = itertools.cycle(list(backends))

    def route_exact(self, path: str, backends: Sequence[str]) -> None:
        """A root path served as is by the backends (``/_sim/traffic``: same answer from any service)."""
        self.shared[path] = itertools.cycle(list(backends))

    def _target(self, path: str) -> str | None:
        with self._lock:
            for shared, backends in self.shared.items():
                if path == shared or path.startswith(shared + "/"):
                    return next(backends) + path
            for prefix, backends in self.routes.items():
                if path == prefix or path.startswith(prefix + "/"):
                    return next(backends) + (path[len(prefix) :] or "/")
        return None

    async def __call__(self, scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        if scope["type"] != "http":
            return
        request = Request(scope, receive)  # type: ignore[arg-type]
        target = self._target(request.url.path)
        if target is None:
            await Response("no route", status_code=404)(scope, receive, send)  # type: ignore[arg-type]
            return
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        if request.url.query:
            target += "?" + request.url.query
        async with httpx.AsyncClient(timeout=60) as client:
            upstream = await client.request(
                request.method, target, headers=headers, content=await request.body()
            )
        response = Response(upstream.content, status_code=upstream.status_code)
        skip = HOP_BY_HOP | {"content-encoding"}
        response.raw_headers.extend(
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in upstream.headers.multi_items()
            if k.lower() not in skip
        )
        await response(scope, receive, send)  # type: ignore[arg-type]

    def start(self) -> None:
        config = uvicorn.Config(self, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test gateway did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)


def start_gateway(port: int, routes: Mapping[str, Sequence[str]]) -> RoundRobinGateway:
    gateway = RoundRobinGateway(port)
    for prefix, backends in routes.items():
        gateway.route(prefix, backends)
    gateway.start()
    return gateway
