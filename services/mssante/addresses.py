"""MSSanté addresses and the trust space (spec B1/B2): which domain, which kind of box, which INS.

Pure functions: the lookups that confirm an address exists (Annuaire, INS) live in ``directory``.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address

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


def canonical(address: str, patient_domain: str) -> str:
    """Lower case, except a patient's INS, whose Corsican ``2A``/``2B`` stay upper case as INS writes them."""
    local, _, domain = address.strip().rpartition("@")
    domain = domain.lower()
    return f"{local.upper() if domain == patient_domain.lower() else local.lower()}@{domain}"


def parse(raw: str, patient_domain: str) -> MssAddress:
    """An envelope address in canonical case; ``<>`` (the null reverse-path of reports) is allowed."""
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
    address = canonical(f"{local}@{domain}", patient_domain)
    return MssAddress(address, address.rpartition("@")[0], domain.lower())


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
    ins = address.local
    if not is_ins_shaped(ins):
        raise BadAddress(f"{address.address}: a patient address is the 15-character INS at {patient_domain}")
    return ins
