"""What an identity of the base is, independent of storage: INS numbers and the five traits.

Pure data shared by the matching rules, the FHIR representation and the SOAP façade.
"""

from __future__ import annotations

from dataclasses import dataclass

NIR_OID = "1.2.250.1.213.1.4.8"
NIA_OID = "1.2.250.1.213.1.4.9"
TEST_NIR_OID = "1.2.250.1.213.1.4.10"
DEMO_NIR_OID = "1.2.250.1.213.1.4.11"


@dataclass(frozen=True)
class InsNumber:
    """A matricule INS (13 characters), its key and the OID of the authority that assigned it."""

    nir: str
    key: str
    oid: str
    start: str | None = None
    end: str | None = None

    @property
    def value(self) -> str:
        """The 15-character form carried in FHIR, CDA and XDS."""
        return self.nir + self.key


@dataclass(frozen=True)
class Person:
    ins: InsNumber
    birth_name: str
    first_names: tuple[str, ...]
    sex: str
    """``M`` or ``F``, as INSi returns it."""
    birth_date: str
    birth_place: str
    identity_status: str
    history: tuple[InsNumber, ...] = ()

    @property
    def first_name(self) -> str:
        """The first birth first name: FR Core's ``name.given`` and INSi's ``Prenom`` by default."""
        return self.first_names[0]

    @property
    def first_names_list(self) -> str:
        """INSi ``ListePrenom``: every birth first name, space separated."""
        return " ".join(self.first_names)
