"""INS settings: the kernel's, plus how the INSi façade treats software authorisation numbers (IDAM).

The real INSi knows the IDAM the CNDA issued to each piece of software. socle cannot, so by default it
accepts any IDAM except those that start with :data:`UNKNOWN_IDAM_PREFIX` (a vendor's script that tests the
"unknown software" fault sends e.g. ``INCONNU-0000``); ``SOCLE_INSI_IDAMS=A,B`` accepts only that list.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from services.kernel.settings import Settings

UNKNOWN_IDAM_PREFIX = "INCONNU"
DEFAULT_TEST_IDAM = "SOCLE-IDAM-TEST"
"""An IDAM the default configuration accepts, for examples and tests."""


class InsSettings(Settings):
    insi_idams: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Accepted IDAM numbers; empty = any IDAM not starting with ``INCONNU``."""
    insi_fault_status: int = 500
    """HTTP status of SOAP faults: 500 as the real INSi answers (and clients check), SOAP 1.2 would say 400."""

    @field_validator("insi_idams", mode="before")
    @classmethod
    def _idam_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    def idam_accepted(self, idam: str) -> bool:
        if self.insi_idams:
            return idam in self.insi_idams
        return not idam.upper().startswith(UNKNOWN_IDAM_PREFIX)


def ins_settings(settings: Settings) -> InsSettings:
    """The INS view of settings built by the runner (a plain :class:`Settings`); SOCLE_* fills the rest."""
    if isinstance(settings, InsSettings):
        return settings
    return InsSettings(**settings.model_dump(exclude_unset=False))
