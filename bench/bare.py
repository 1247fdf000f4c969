"""The ceiling: an ASGI app that does nothing, on the same uvicorn, to compare socle against.

``GET /bytes/N`` answers N bytes (the ceiling of a document retrieval); any other path answers ``ok``.
"""

from __future__ import annotations

from starlette.types import Receive, Scope, Send


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    path: str = scope["path"]
    size = path.removeprefix("/bytes/")
    body = b"x" * int(size) if path.startswith("/bytes/") and size.isdigit() else b"ok"
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/octet-stream"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
