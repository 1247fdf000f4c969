"""Calls the console makes as the logged-in professional, with their PSC token, and how it reads answers.

A refusal by a service (403 opposition, 404 no DMP...) is something to show the user, not a console
error: :class:`Answer` keeps the status and the service's own explanation for the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from .session import access_token


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    content_type: str
    content: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def problem(self) -> str:
        """The service's explanation of a refusal (OperationOutcome diagnostics, OAuth or JSON error)."""
        if isinstance(self.body, dict):
            if self.body.get("resourceType") == "OperationOutcome":
                return "; ".join(
                    str(i.get("diagnostics") or i.get("code", "")) for i in self.body.get("issue") or []
                )
            for key in ("error_description", "message", "detail", "error"):
                if self.body.get(key):
                    return str(self.body[key])
        return self.content[:300].decode("utf-8", "replace")


async def call(
    request: Request,
    service: str,
    path: str,
    *,
    method: str = "GET",
    params: dict[str, str] | None = None,
    accept: str = "application/fhir+json",
    **kwargs: Any,
) -> Answer:
    token = await access_token(request)
    headers = {"Authorization": f"Bearer {token}", "Accept": accept, **kwargs.pop("headers", {})}
    response = await request.app.state.gateway.send(
        method, service, path, params=params, headers=headers, **kwargs
    )
    content_type = response.headers.get("content-type", "")
    body: Any = None
    if "json" in content_type:
        try:
            body = response.json()
        except ValueError:
            body = None
    return Answer(response.status_code, body, content_type, response.content)
