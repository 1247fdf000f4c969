"""Templates and the console's error pages (HTML for people, never a JSON error body)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from services.kernel.errors import SocleError

from .session import current_session

log = logging.getLogger("socle.console")
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _pretty(value: Any) -> str:
    """Indented JSON when ``value`` is (or holds) JSON, the text itself otherwise."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, indent=2, ensure_ascii=False)


templates.env.filters["pretty"] = _pretty


async def render(request: Request, name: str, *, status_code: int = 200, **context: Any) -> Response:
    user = await current_session(request)
    return templates.TemplateResponse(
        request,
        name,
        {"user": user, "nav": request.url.path.split("/")[1] or "status", **context},
        status_code=status_code,
    )


def install_error_pages(app: FastAPI) -> None:
    async def on_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, SocleError):
            status, message = exc.status_code, exc.message
        elif isinstance(exc, StarletteHTTPException):
            status, message = exc.status_code, str(exc.detail)
            if status == 404:
                message = f"no page at {request.url.path}"
        elif isinstance(exc, RequestValidationError):
            status = 400
            message = "; ".join(
                f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')}" for e in exc.errors()
            )
        else:
            log.error("console page %s failed", request.url.path, exc_info=exc)
            status, message = 500, f"internal error: {type(exc).__name__}"
        return await render(request, "error.html", status_code=status, status=status, message=message)

    for kind in (SocleError, StarletteHTTPException, RequestValidationError, Exception):
        app.add_exception_handler(kind, on_error)
