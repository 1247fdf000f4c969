"""MSSanté addresses and the trust space (spec B1/B2): which domain, which kind of box, which INS.

Pure functions: the lookups that confirm an address exists (Annuaire, INS) live in ``directory``.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import getaddresses

from services.kernel.identifiers import NIR_PATTERN


class BadAddress(ValueError):
    """Not an ``addr-spec`` we can route (RFC 5321 §4.1.2)."""


@dataclass(frozen=True)
class MssAddress:
    address: str
    local: str
    domain: str

    @property
    def is_null(self) -> bool:
        return not self.address


NULL = MssAddress("", "", "")


def parse(raw: str) -> MssAddress:
    """An envelope address, lower-cased; ``<>`` (the null reverse-path of reports) is allowed."""
    text = raw.strip().removeprefix("<").removesuffix(">").strip()
    if not text:
        return NULL
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or " " in text or ".." in domain or domain.startswith("."):
        raise BadAddress(f"malformed address: {raw!r}")
    try:
        Address(username=local, domain=domain)
    except (ValueError, IndexError) as exc:
        raise BadAddress(f"malformed address: {raw!r}") from exc
    return MssAddress(f"{local}@{domain}".lower(), local.lower(), domain.lower())


def in_trust_space(address: MssAddress, domains: frozenset[str]) -> bool:
    return address.domain in domains


def is_ins_shaped(value: str) -> bool:
    """13-character NIR/NIA and a 2-digit key. The key is not recomputed: some CNDA test identities
    carry published keys that differ from the computed one, and INS, asked next, is the authority."""
    return len(value) == 15 and bool(NIR_PATTERN.match(value[:13])) and value[13:].isdigit()


def patient_ins(address: MssAddress, patient_domain: str) -> str | None:
    """The INS of a patient address (``<15-char INS>@patient.mssante.fr``), or None for another domain.

    Raises :class:`BadAddress` when the domain is the patient's but the local part is not a valid INS.
    """
    if address.domain != patient_domain.lower():
        return None
    ins = address.local.upper()
    if not is_ins_shaped(ins):
        raise BadAddress(f"{address.address}: a patient address is the 15-character INS at {patient_domain}")
    return ins


def header_addresses(values: list[str]) -> list[str]:
    """Addresses named in address headers (From, To, Cc), lower-cased."""
    return [addr.lower() for _name, addr in getaddresses(values) if addr]
