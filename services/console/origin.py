"""Refuse state-changing requests that a page of another site makes the browser send (CSRF).

Reset, fault injection and conformance runs need no session, so a SameSite cookie does not protect
them; every browser sends ``Origin`` with a cross-site POST, and the console accepts only its own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from services.kernel.errors import Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def same_origin(request: Request) -> None:
    """App-wide dependency: a POST whose ``Origin`` is neither the public base nor this host is refused."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin", "").lower()
    if not origin:
        return
    allowed = {origin_of(request.app.state.settings.root_url), origin_of(str(request.base_url))}
    if origin not in allowed:
        raise Forbidden(f"cross-site request from {origin} refused")
