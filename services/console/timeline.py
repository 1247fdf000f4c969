"""The traffic timeline: which filters the page offers and how one exchange is shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

PAGE_SIZE = 50
FILTERS = ("service", "client_id", "idnat", "patient", "run", "method", "status", "path")
"""The ``/_sim/traffic`` filters the page exposes, in the order of the form."""


@dataclass(frozen=True)
class TimelineQuery:
    filters: dict[str, str]
    page: int

    @classmethod
    def from_params(cls, params: dict[str, str]) -> TimelineQuery:
        filters = {name: params[name].strip() for name in FILTERS if params.get(name, "").strip()}
        if "status" in filters and not filters["status"].isdigit():
            filters.pop("status")
        page = params.get("page", "1")
        return cls(filters, max(int(page), 1) if page.isdigit() else 1)

    def api_params(self) -> dict[str, str | int]:
        """The query sent to ``/_sim/traffic``: newest first, one page, no bodies (the list stays fast)."""
        return {
            **self.filters,
            "order": "desc",
            "limit": PAGE_SIZE,
            "offset": (self.page - 1) * PAGE_SIZE,
            "bodies": "false",
        }

    def link(self, page: int) -> str:
        return "/traffic?" + urlencode({**self.filters, "page": page})

    def pages(self, total: int) -> int:
        return max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)


def status_class(status: int) -> str:
    if status >= 500:
        return "bad"
    if status >= 400:
        return "warn"
    return "ok"


def request_line(exchange: dict[str, Any]) -> str:
    query = exchange.get("query") or ""
    return f"{exchange['method']} {exchange['path']}" + (f"?{query}" if query else "")


def headers_text(headers: dict[str, str]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in sorted(headers.items()))
