"""Read ``docker-compose.yml`` the way Compose does, and translate a container's view into a local one.

Compose interpolates ``${VAR:-default}`` before anything else, so the loader does too (the subset of
the Compose interpolation grammar the file uses, plus the other documented forms). The translation is
where the wiring is proven: every URL naming a compose service must name one that exists, on the port
that service listens on; every database URL must point at the ``postgres`` service with its user and
password and name a database that ``deploy/postgres/init.sql`` creates. Anything else raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
INIT_SQL = ROOT / "deploy" / "postgres" / "init.sql"

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|(?P<bare>[A-Za-z_]\w*))"
)
_SERVICE_URL = re.compile(r"^(?P<scheme>https?)://(?P<host>[a-z][\w-]*):(?P<port>\d+)(?P<path>/.*)?$")


class WiringError(AssertionError):
    """The compose file points somewhere that does not exist."""


def interpolate(value: str, environ: Mapping[str, str]) -> str:
    """Compose's interpolation: ``$$``, ``$VAR``, ``${VAR}``, ``${VAR:-d}``, ``${VAR-d}``, ``:?``/``?``, ``:+``/``+``."""

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"], match["arg"] or ""
        present = name in environ
        current = environ.get(name, "")
        usable = present and (current != "" or not (op or "").startswith(":"))
        if op in (":-", "-"):
            return current if usable else arg
        if op in (":?", "?"):
            if not usable:
                raise WiringError(f"required variable {name} is missing: {arg}")
            return current
        if op in (":+", "+"):
            return arg if usable else ""
        return current

    return _VARIABLE.sub(substitute, value)


def _walk(node: Any, leaf: Callable[[str], str]) -> Any:
    if isinstance(node, dict):
        return {key: _walk(value, leaf) for key, value in node.items()}
    if isinstance(node, list):
        return [_walk(value, leaf) for value in node]
    if isinstance(node, str):
        return leaf(node)
    return node


def load_compose(environ: Mapping[str, str] | None = None, path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The compose document after YAML merge keys and variable interpolation."""
    document = yaml.safe_load(path.read_text())
    return _walk(document, lambda text: interpolate(text, environ or {}))  # type: ignore[no-any-return]


def environment_of(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's ``environment`` (mapping or ``KEY=VALUE`` list form) as strings."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {key: "" if value is None else str(value) for key, value in raw.items()}


def init_databases(path: Path = INIT_SQL) -> set[str]:
    return set(re.findall(r"CREATE DATABASE\s+\"?(\w+)\"?", path.read_text(), flags=re.IGNORECASE))


@dataclass(frozen=True)
class LocalView:
    """Where the compose names live on this machine: one URL per service, one database URL per database."""

    service_urls: Mapping[str, str]
    database_urls: Mapping[str, str]

    def translate_url(self, document: Mapping[str, Any], value: str) -> str:
        match = _SERVICE_URL.match(value)
        if not match or match["host"] == "localhost":
            return value
        host, port = match["host"], int(match["port"])
        services = document["services"]
        if host not in services:
            raise WiringError(f"{value}: no compose service named {host!r}")
        listening = int(environment_of(services[host]).get("SOCLE_PORT", "8080"))
        if port != listening:
            raise WiringError(f"{value}: service {host!r} listens on {listening}, not {port}")
        if host not in self.service_urls:
            raise WiringError(f"{value}: service {host!r} is not running locally")
        return self.service_urls[host] + (match["path"] or "")

    def translate_database(self, document: Mapping[str, Any], value: str) -> str:
        parts = urlsplit(value)
        postgres = environment_of(document["services"].get(parts.hostname or "", {}))
        if parts.hostname != "postgres" or "POSTGRES_USER" not in postgres:
            raise WiringError(f"{value}: not the compose postgres service")
        if (parts.username, parts.password) != (postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"]):
            raise WiringError(f"{value}: not the postgres service's user and password")
        if parts.port not in (None, 5432):
            raise WiringError(f"{value}: postgres listens on 5432")
        name = parts.path.lstrip("/")
        if name not in init_databases() | {postgres.get("POSTGRES_DB", "")}:
            raise WiringError(f"{value}: database {name!r} is not created by deploy/postgres/init.sql")
        return self.database_urls[name]

    def environment(
        self, document: Mapping[str, Any], service: str, overrides: Mapping[str, str]
    ) -> dict[str, str]:
        """What the container's process would see, with compose names replaced by local addresses."""
        local = {}
        for key, value in environment_of(document["services"][service]).items():
            if value.startswith(("postgresql://", "postgres://")):
                local[key] = self.translate_database(document, value)
            else:
                local[key] = self.translate_url(document, value)
        return local | dict(overrides)
