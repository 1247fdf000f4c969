"""The DMP's access rules as one pure function of the facts, so tests can enumerate every case.

Facts are the caller's role towards the patient and the document, the access mode the caller
declares, the document's visibility labels and the patient's opposition. Sources: dmp.md §14 (CSP
L1111-15/-17, arrêté of 26 Oct 2023, P4D TD02):

- a patient's opposition closes the DMP to every professional, in every mode (bris de glace and
  centre 15 included: both yield to a prior express opposition);
- ``MASQUE_PS`` hides a document from professionals except its author and the médecin traitant; bris
  de glace opens the whole record, masked documents included (the historical DMP rule);
- ``INVISIBLE_PATIENT`` hides a document from the patient and their legal representatives;
  ``INVISIBLE_REPRESENTANTS_LEGAUX`` from the representatives only;
- access modes are a professional's notion: a patient stating one is a bad request.

Rules that do not depend on a document (blocked professional, DMP state, justification of bris de
glace, who may use centre 15) are in :func:`dmp_gate`; a read then also passes :func:`decide` with no
label, which is where opposition refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .codes import INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX, MASQUE_PS


class Role(StrEnum):
    AUTHOR = "author"
    MEDECIN_TRAITANT = "medecin-traitant"
    PROFESSIONAL = "professional"
    PATIENT = "patient"
    REPRESENTATIVE = "representative"

    @property
    def is_professional(self) -> bool:
        return self in (Role.AUTHOR, Role.MEDECIN_TRAITANT, Role.PROFESSIONAL)


class Mode(StrEnum):
    """JDV_J38 / TRE_R248 access modes."""

    NORMAL = "normal"
    BRIS_DE_GLACE = "bris_de_glace"
    CENTRE_15 = "centre_15"


class Visibility(StrEnum):
    NORMAL = "normal"
    MASQUE_PS = MASQUE_PS
    INVISIBLE_PATIENT = INVISIBLE_PATIENT
    INVISIBLE_REPRESENTANTS_LEGAUX = INVISIBLE_REPRESENTANTS_LEGAUX


class Outcome(StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"
    """The caller may use the DMP, but this document is left out of results (403 on direct retrieval)."""
    REFUSED = "refused"
    """The caller may not use this patient's DMP at all."""


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    status: int
    reason: str

    @property
    def visible(self) -> bool:
        return self.outcome is Outcome.VISIBLE


VISIBLE = Decision(Outcome.VISIBLE, 200, "visible")


def decide(role: Role, mode: Mode, visibility: frozenset[Visibility], opposition: bool) -> Decision:
    """May a caller in ``role``, accessing in ``mode``, see a document with these labels?"""
    if not role.is_professional:
        if mode is not Mode.NORMAL:
            return Decision(Outcome.REFUSED, 400, "access modes apply to professionals only")
        if Visibility.INVISIBLE_PATIENT in visibility:
            return Decision(Outcome.HIDDEN, 403, "document not visible to the patient (INVISIBLE_PATIENT)")
        if role is Role.REPRESENTATIVE and Visibility.INVISIBLE_REPRESENTANTS_LEGAUX in visibility:
            return Decision(
                Outcome.HIDDEN,
                403,
                "document not visible to legal representatives (INVISIBLE_REPRESENTANTS_LEGAUX)",
            )
        return VISIBLE
    if opposition:
        return Decision(Outcome.REFUSED, 403, "the patient opposed access to the DMP by professionals")
    if Visibility.MASQUE_PS in visibility and role is Role.PROFESSIONAL and mode is not Mode.BRIS_DE_GLACE:
        return Decision(
            Outcome.HIDDEN,
            403,
            "document masked to professionals (MASQUE_PS): author and médecin traitant only",
        )
    return VISIBLE


def visibility_of(codes: list[str] | tuple[str, ...] | set[str]) -> frozenset[Visibility]:
    """The visibility facts of a document from its security-label codes."""
    found = {Visibility(code) for code in codes if code in Visibility._value2member_map_}
    return frozenset(found - {Visibility.NORMAL})


@dataclass(frozen=True)
class GateFacts:
    """Facts about the patient's DMP and the caller, independent of any document."""

    dmp_state: str
    """open, closed or none."""
    blocked: bool
    is_professional: bool
    is_physician: bool
    mode: Mode
    reason: str
    writing: bool


def dmp_gate(facts: GateFacts) -> Decision:
    """May the caller use this patient's DMP at all (before any document is looked at)?"""
    if facts.dmp_state == "none":
        return Decision(Outcome.REFUSED, 404, "this patient has no DMP")
    if facts.dmp_state != "open":
        return Decision(Outcome.REFUSED, 403, "this patient's DMP is closed")
    if not facts.is_professional:
        return VISIBLE
    if facts.blocked:
        return Decision(Outcome.REFUSED, 403, "the patient has blocked this professional")
    if facts.writing:
        return VISIBLE  # feeding needs no access authorisation and ignores opposition (P4D TD02)
    if facts.mode is Mode.BRIS_DE_GLACE and not facts.reason.strip():
        return Decision(Outcome.REFUSED, 400, "bris de glace must be justified (X-DMP-Access-Reason)")
    if facts.mode is Mode.CENTRE_15 and not facts.is_physician:
        return Decision(Outcome.REFUSED, 403, "centre 15 access is for regulating physicians (profession 10)")
    return VISIBLE
