"""Refuse bodies over the configured size before reading them whole."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import PayloadTooLarge, error_format_of, render_error
from .traffic import relative_path


class BodyLimitMiddleware:
    """413 at once when Content-Length is over the limit; otherwise count while streaming."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, owner: Any) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        exceeded = False
        answered = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise PayloadTooLarge(f"request body over the limit of {self.max_bytes} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            # a route may turn the error raised in receive() into its own 400 (FastAPI's body parsing
            # does): once the limit was crossed, the answer is the 413 whatever the route says
            nonlocal answered
            if not exceeded:
                await send(message)
            elif not answered:
                answered = True
                await self._refuse(scope, receive, send)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = PayloadTooLarge(f"request body over the limit of {self.max_bytes} bytes")
        await render_error(error, error_format_of(self.owner, relative_path(scope)))(scope, receive, send)
