"""Hide secrets in recorded traffic while keeping the evidence that they were sent.

A masked value becomes ``***``: the key stays, so a conformance check can still see that a client sent a
``code_verifier`` or a ``client_assertion`` without the record ever holding a usable secret.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

MASK = "***"
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "id_token_hint",
        "token",
        "code",
        "code_verifier",
        "client_secret",
        "client_assertion",
        "assertion",
        "password",
        "logout_token",
        "secret",
        "registration_access_token",
        "device_code",
        "auth_req_id",
        "private_key",
    }
)
"""Form, query and JSON members that carry secrets (OAuth 2.0, OIDC, CIBA, RFC 7591)."""
JSON_SECRET_KEYS = SECRET_KEYS - {"code"}
"""In JSON ``code`` is a FHIR code, evidence the conformance suite reads, never an authorization code."""
JWK_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k", "oth"})
_JSON_MARKERS = re.compile(
    b'"(?:' + b"|".join(re.escape(key.encode()) for key in sorted({*JSON_SECRET_KEYS, "kty"})) + b')"|\\\\u'
)
"""What a JSON body must hold to have anything to mask: a secret member's quoted name, a JWK's ``kty``, or
a ``\\u`` escape that could spell either (one scan of the bytes). Most bodies (FHIR bundles) hold none of
them, and are then recorded as sent instead of being parsed and serialised again."""
SECRET_HEADERS = frozenset(
    {"cookie", "set-cookie", "esante-api-key", "x-api-key", "proxy-authorization", "x-socle-internal"}
)


def mask_headers(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name == "authorization":
            scheme = value.split(" ", 1)[0]
            value = f"{scheme} {MASK}"
        elif name in SECRET_HEADERS:
            value = MASK
        out[name] = value if name not in out else f"{out[name]}, {value}"
    return out


def _mask_json(value: Any) -> Any:
    if isinstance(value, dict):
        secret = JSON_SECRET_KEYS | (JWK_PRIVATE_MEMBERS if "kty" in value else frozenset())
        return {k: (MASK if k in secret and isinstance(v, str) else _mask_json(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_json(item) for item in value]
    return value


def mask_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, MASK if k in SECRET_KEYS else v) for k, v in pairs])


def mask_body(body: bytes, content_type: str, *, limit: int, truncated: bool) -> str | None:
    """The body as text for the record: secrets masked, cut at ``limit`` bytes; None when empty."""
    if not body:
        return None
    kind = content_type.split(";", 1)[0].strip().lower()
    suffix = " …[truncated]" if truncated else ""
    if not truncated:
        if kind == "application/x-www-form-urlencoded":
            return mask_query(body.decode("utf-8", "replace"))
        if kind.endswith("json") and _JSON_MARKERS.search(body) is None:
            return body.decode("utf-8", "replace")
        if kind.endswith("json"):
            try:
                return json.dumps(_mask_json(json.loads(body)), ensure_ascii=False)
            except ValueError:
                pass
    textual = (
        kind.startswith("text/")
        or "json" in kind
        or "xml" in kind
        or kind in ("", "application/x-www-form-urlencoded")
    )
    if not textual:
        return f"<{len(body)}{'+' if truncated else ''} bytes of {kind}>"
    return body[:limit].decode("utf-8", "replace") + suffix
