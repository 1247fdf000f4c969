"""Typed errors that render themselves in the wire format of the service that raises them.

::

    SocleError (500)            plain JSON, FHIR OperationOutcome or OAuth JSON, by the app's format
    ├── BadRequest (400)        invalid input: parse errors, profile violations
    ├── Unauthorized (401)      no or bad credentials; carries ``WWW-Authenticate``
    ├── Forbidden (403)         an access rule says no
    ├── NotFound (404)
    ├── MethodNotAllowed (405)
    ├── Conflict (409)
    ├── Gone (410)
    ├── PreconditionFailed (412)
    ├── PayloadTooLarge (413)
    ├── Unprocessable (422)     well-formed but breaks a business rule
    ├── ServiceUnavailable (503)
    └── OAuthError              RFC 6749 §5.2 ``error``/``error_description`` JSON, always

Routes only raise; :func:`install_error_handlers` maps every exception, including Starlette's own 404
and FastAPI's validation errors, to a response in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

ErrorFormat = Literal["json", "fhir", "oauth"]


class SocleError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal-error"
    fhir_code: ClassVar[str] = "exception"
    oauth_code: ClassVar[str] = "server_error"

    def __init__(
        self,
        message: str,
        *,
        expression: list[str] | None = None,
        fhir_code: str | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        # a message quoting hostile input may hold lone surrogates, which no UTF-8 response can carry
        self.message = message.encode("utf-8", "backslashreplace").decode("utf-8")
        self.expression = expression or []
        self.issue_code = fhir_code or self.fhir_code
        self.headers = headers or {}
        self.status_code = status or self.status


class BadRequest(SocleError):
    status, code, fhir_code, oauth_code = 400, "bad-request", "invalid", "invalid_request"


class Unauthorized(SocleError):
    status, code, fhir_code, oauth_code = 401, "unauthorized", "login", "invalid_token"


class Forbidden(SocleError):
    status, code, fhir_code, oauth_code = 403, "forbidden", "forbidden", "access_denied"


class NotFound(SocleError):
    status, code, fhir_code, oauth_code = 404, "not-found", "not-found", "invalid_request"


class MethodNotAllowed(SocleError):
    status, code, fhir_code, oauth_code = 405, "method-not-allowed", "not-supported", "invalid_request"


class Conflict(SocleError):
    status, code, fhir_code, oauth_code = 409, "conflict", "conflict", "invalid_request"


class Gone(SocleError):
    status, code, fhir_code, oauth_code = 410, "gone", "deleted", "invalid_request"


class PreconditionFailed(SocleError):
    status, code, fhir_code, oauth_code = 412, "precondition-failed", "conflict", "invalid_request"


class PayloadTooLarge(SocleError):
    status, code, fhir_code, oauth_code = 413, "payload-too-large", "too-long", "invalid_request"


class Unprocessable(SocleError):
    status, code, fhir_code, oauth_code = 422, "unprocessable", "business-rule", "invalid_request"


class ServiceUnavailable(SocleError):
    status, code, fhir_code, oauth_code = 503, "unavailable", "transient", "temporarily_unavailable"


class OAuthError(SocleError):
    """An OAuth 2.0 / OIDC error: the RFC code in ``error``, whatever the app's default format."""

    def __init__(
        self,
        error: str,
        description: str = "",
        *,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description or error, headers=headers, status=status)
        self.error = error
        self.description = description


_STATUS_CLASSES: dict[int, type[SocleError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        Gone,
        PreconditionFailed,
        PayloadTooLarge,
        Unprocessable,
        ServiceUnavailable,
    )
}


def error_for_status(status: int, message: str) -> SocleError:
    """The typed error for an HTTP status (fault injection, Starlette's own errors)."""
    cls = _STATUS_CLASSES.get(status, SocleError)
    return cls(message, status=status)


def operation_outcome(error: SocleError) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": "error", "code": error.issue_code, "diagnostics": error.message}
    if error.expression:
        issue["expression"] = error.expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def render_error(error: SocleError, error_format: ErrorFormat) -> Response:
    """The response for ``error`` in the given wire format."""
    headers = dict(error.headers)
    if isinstance(error, OAuthError):
        body: dict[str, Any] = {"error": error.error}
        if error.description:
            body["error_description"] = error.description
        return JSONResponse(body, status_code=error.status_code, headers=headers)
    if error_format == "fhir":
        return JSONResponse(
            operation_outcome(error),
            status_code=error.status_code,
            headers=headers,
            media_type="application/fhir+json",
        )
    if error_format == "oauth":
        body = {"error": error.oauth_code, "error_description": error.message}
        return JSONResponse(body, status_code=error.status_code, headers=headers)
    return JSONResponse(
        {"error": error.code, "message": error.message}, status_code=error.status_code, headers=headers
    )


FormatChooser = Callable[[str], ErrorFormat]
"""Picks the wire format from the request path (a service may speak FHIR on one path, JSON on another)."""


def error_format_of(app: Any, path: str) -> ErrorFormat:
    chooser: FormatChooser | None = getattr(app.state, "error_format", None)
    return chooser(path) if chooser else "json"


def _describe_validation(exc: RequestValidationError) -> tuple[str, list[str]]:
    messages, expressions = [], []
    for err in exc.errors():
        location = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
        if err.get("type") == "json_invalid":
            return f"invalid JSON: {err.get('ctx', {}).get('error', err.get('msg'))}", []
        messages.append(f"{'.'.join(location) or 'body'}: {err.get('msg')}")
        if location:
            expressions.append(".".join(location))
    return "; ".join(messages) or "invalid request", expressions


def install_error_handlers(app: FastAPI, chooser: FormatChooser | ErrorFormat) -> None:
    """Register the one mapping from exceptions to responses for ``app``."""
    app.state.error_format = chooser if callable(chooser) else (lambda _path, fmt=chooser: fmt)

    def path_of(request: Request) -> str:
        return request.scope.get("path", "")[len(request.scope.get("root_path", "")) :]

    async def on_socle_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SocleError)
        return render_error(exc, error_format_of(app, path_of(request)))

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = str(exc.detail) if exc.detail else "error"
        if exc.status_code == 404:
            message = f"no such path: {request.method} {request.url.path}"
        error = error_for_status(exc.status_code, message)
        error.headers.update(exc.headers or {})
        return render_error(error, error_format_of(app, path_of(request)))

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        message, expressions = _describe_validation(exc)
        return render_error(
            BadRequest(message, expression=expressions), error_format_of(app, path_of(request))
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        error = SocleError(f"internal error: {type(exc).__name__}")
        return render_error(error, error_format_of(app, path_of(request)))

    app.add_exception_handler(SocleError, on_socle_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
