"""One settings object per service, read from ``SOCLE_*`` environment variables.

Nothing builds settings at import time: ``create_app(settings)`` receives them (tests pass explicit ones),
and the runner builds one per mounted service with its mount prefix. A service that needs more fields
subclasses :class:`Settings`; the environment prefix stays ``SOCLE_`` so one variable configures the
whole stack (contract, README of the spec: every flag has a ``SOCLE_*`` variable).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SERVICE_PREFIXES = {
    "prosanteconnect": "/psc",
    "annuaire": "/annuaire",
    "ins": "/ins",
    "dmp": "/dmp",
    "mssante": "/mss",
}
"""Where each service is mounted in one-process mode (the contract's URL table)."""

PSC_REALM_PATH = "/auth/realms/esante-wallet"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOCLE_", extra="ignore")

    service: str = "socle"
    mount: str = ""
    """Path prefix of this service on the public base ("" when it runs alone)."""

    host: str = "127.0.0.1"
    port: int = 8080
    smtp_port: int = 2525
    imap_port: int = 1143
    public_url: str | None = None
    data_dir: Path = Path(".socle")
    database_url: str | None = None
    traffic_database_url: str | None = None
    fresh: bool = False
    psc_auto_login: bool = False
    log_level: str = "warning"

    max_body_bytes: int = 20 * 1024 * 1024
    traffic_body_limit: int = 64 * 1024
    traffic_flush_seconds: float = 0.2

    ins_url: str | None = None
    prosanteconnect_url: str | None = None
    annuaire_url: str | None = None
    dmp_url: str | None = None
    mssante_url: str | None = None

    internal_token: str | None = None
    """Shared secret services present to each other (``X-Socle-Internal``); one is made per process if unset."""

    annuaire_api_keys: Annotated[list[str], NoDecode] = []
    mss_domain: str = "socle.mssante.fr"
    mss_patient_domain: str = "patient.mssante.fr"
    mss_trust_domains: Annotated[list[str], NoDecode] = []

    @field_validator("annuaire_api_keys", "mss_trust_domains", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @property
    def root_url(self) -> str:
        """The public base of the whole stack (or of this service when it runs alone)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The public base URL of this service: what appears in tokens, ``Location`` headers and links."""
        return self.root_url + self.mount

    @property
    def psc_issuer(self) -> str:
        """The issuer of Pro Santé Connect tokens, as seen by browsers and relying parties."""
        if self.service == "prosanteconnect":
            return self.base_url + PSC_REALM_PATH
        base = self.prosanteconnect_public_url or (self.root_url + SERVICE_PREFIXES["prosanteconnect"])
        return base.rstrip("/") + PSC_REALM_PATH

    prosanteconnect_public_url: str | None = None
    """Public base of PSC when it differs from the internal peer URL (compose)."""

    def database_for(self, name: str | None = None) -> str:
        """The database URL of a service: the configured one, or its own SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / ((name or self.service) + '.db')}"

    def traffic_database(self) -> str:
        """Where the traffic record lives: shared by every service of one stack."""
        if self.traffic_database_url:
            return self.traffic_database_url
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'traffic.db'}"

    def peer_url(self, name: str) -> str | None:
        """The configured URL of a peer service, or None to reach it in-process."""
        value: str | None = getattr(self, f"{name}_url", None)
        return value.rstrip("/") if value else None
