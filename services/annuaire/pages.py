"""Next-page links in the live API's shape, ``[base]?_getpages=<uuid>&_pageId=<opaque>`` (spec C1).

The real server pages by the last ``_id`` seen (keyset paging) so that a page never repeats or skips a
resource while the data changes underneath. Here the opaque ``_pageId`` carries the search itself and
that last id, so any instance behind a load balancer can serve the next page with no state kept; the
``_getpages`` uuid is derived from the search, so a page id glued to another search is refused (410,
as HAPI answers for an unknown or expired search).
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass

from services.kernel.errors import Gone

NAMESPACE = uuid.UUID("6f1c1d36-6f0b-4b8e-9b7e-5a0c2e1d7a11")


@dataclass(frozen=True)
class Page:
    resource_type: str
    query: tuple[tuple[str, str], ...]
    after: str
    """The id of the last resource already served."""


def search_uuid(resource_type: str, query: tuple[tuple[str, str], ...]) -> str:
    return str(uuid.uuid5(NAMESPACE, json.dumps([resource_type, query])))


def next_page(page: Page) -> tuple[str, str]:
    """(``_getpages``, ``_pageId``) of the page that follows ``page.after``."""
    payload = json.dumps({"t": page.resource_type, "q": page.query, "a": page.after}, separators=(",", ":"))
    page_id = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return search_uuid(page.resource_type, page.query), page_id


def read_page(getpages: str, page_id: str) -> Page:
    """The page a next link points at; 410 for anything this server did not issue."""
    try:
        data = json.loads(base64.urlsafe_b64decode(page_id + "=" * (-len(page_id) % 4)))
        page = Page(data["t"], tuple((str(k), str(v)) for k, v in data["q"]), str(data["a"]))
    except (ValueError, KeyError, TypeError):
        raise Gone(f"Search id {getpages!r} or page {page_id!r} is not known (expired or invalid)") from None
    if search_uuid(page.resource_type, page.query) != getpages:
        raise Gone(f"Search id {getpages!r} does not match this page")
    return page
