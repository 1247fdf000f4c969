"""The human side of the provider: login page (CPS card or e-CPS, test professionals), e-CPS push screen.

Plain HTML from Jinja2 templates (autoescaped), labelled controls, no script: a vendor's browser tests
and a keyboard user can both drive them. ``--psc-auto-login`` skips all of this.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates

    from .authorize import LoginNeeded
    from .server import Provider


class _Templates:
    """The pages' Jinja2 environment, built with the first page: jinja2 stays out of ``socle up``'s start."""

    @cached_property
    def environment(self) -> Jinja2Templates:
        from fastapi.templating import Jinja2Templates

        return Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

    def TemplateResponse(self, *args: Any, **kwargs: Any) -> Response:  # the name Jinja2Templates gives it
        return self.environment.TemplateResponse(*args, **kwargs)


templates = _Templates()
LOGIN_FIELDS = ("idnat", "means")


def error_page(request: Request, error: str, description: str, status: int = 400) -> Response:
    return templates.TemplateResponse(
        request, "error.html", {"error": error, "description": description}, status_code=status
    )


def message_page(request: Request, heading: str, text: str) -> Response:
    return templates.TemplateResponse(request, "message.html", {"heading": heading, "text": text})


def login_page(
    request: Request, provider: Provider, outcome: LoginNeeded, params: dict[str, Any]
) -> Response:
    professionals = provider.fixtures.professionals
    selected = outcome.login_hint or professionals[0].idnat
    context = {
        "client_name": outcome.client_name,
        "params": {k: v for k, v in params.items() if k not in LOGIN_FIELDS},
        "professionals": professionals,
        "selected": selected,
        "action": request.url.path.rstrip("/") + "/login",
    }
    return templates.TemplateResponse(request, "login.html", context)
