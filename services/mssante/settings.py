"""MSSanté settings: the operator's limits and switches, all from ``SOCLE_MSS_*`` variables.

The base :class:`Settings` already carries the domains (``mss_domain``, ``mss_patient_domain``,
``mss_trust_domains``); the fields here only matter to this service, so they live in a subclass.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from services.kernel.settings import Settings

TEST_PASSWORD = "socle-test"
"""Default password of the test accounts (AUTH PLAIN/LOGIN): any hosted address with this password."""


class MssSettings(Settings):
    mss_test_accounts: bool = True
    """Accept AUTH PLAIN/LOGIN (SMTP) and LOGIN (IMAP) for hosted addresses with ``mss_test_password``."""
    mss_test_password: str = TEST_PASSWORD
    mss_strict: bool = False
    """Refuse (554) a message whose XDM or X-MSS-* checks fail instead of delivering it with findings."""
    mss_max_message_bytes: int = 20 * 1024 * 1024
    """Announced with the SMTP ``SIZE`` extension (spec B8: no official figure; 10-20 MB suggested)."""
    mss_zip_max_total_bytes: int = 50 * 1024 * 1024
    mss_zip_max_ratio: int = 100
    mss_zip_max_entries: int = 1000
    mss_mailbox_quota_bytes: int = 200 * 1024 * 1024
    mss_psc_clients: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """PSC client ids whose tokens may open a mailbox (empty: any client registered at PSC)."""

    @field_validator("mss_psc_clients", mode="before")
    @classmethod
    def _clients(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @property
    def trust_domains(self) -> frozenset[str]:
        """The whitelist: configured domains plus the operator's own and the patient domain (spec B1)."""
        return frozenset(
            domain.lower() for domain in (*self.mss_trust_domains, self.mss_domain, self.mss_patient_domain)
        )


def mss_settings(settings: Settings) -> MssSettings:
    """The runner hands a base :class:`Settings`; keep its values and read the MSS fields from the env."""
    if isinstance(settings, MssSettings):
        return settings
    return MssSettings(**settings.model_dump())
