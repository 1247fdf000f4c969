"""RNIV identity statuses, pure: which status an identity may have, and which changes are forbidden.

Two independent criteria (FR Core identity-status CodeSystem, RNIV EXI SI 07): were the traits obtained
from INSi (or from the Appli carte Vitale, which counts as both criteria), and was a high-trust identity
document checked. ``PROV`` = neither, ``RECUP`` = INSi only, ``VALI`` = document only, ``QUAL`` = both.
The attributes ``DOUT`` (doubtful) and ``FICT`` (fictitious) force ``PROV`` and forbid INSi calls
(RNIV EXI SI 09); they cannot coexist. A status only moves by gaining a criterion: losing one is only
possible by falling back to ``PROV`` with ``DOUT`` or ``FICT``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .codes import ATTRIBUTES, DOCUMENTS, METHODS, STATUS_LABELS

PROV, RECUP, VALI, QUAL = "PROV", "RECUP", "VALI", "QUAL"
STATUSES = (PROV, RECUP, VALI, QUAL)
LABELS = STATUS_LABELS
CRITERIA = {PROV: (False, False), RECUP: (True, False), VALI: (False, True), QUAL: (True, True)}
"""status → (traits from INSi, high-trust document checked)."""

HIGH_TRUST_DOCUMENTS = frozenset({"CN", "PA", "CS", "CE"})
"""Identity card, passport, residence permit, European identity card (RNIV "dispositifs à haut niveau
de confiance"; FR Core's validation-mode list does not say which codes are high-trust)."""
MINOR_DOCUMENTS = frozenset({"AN", "LE"})
"""Birth certificate extract, family record book: high-trust only for a minor (with a parent's ID)."""
BLOCKING_ATTRIBUTES = frozenset({"DOUT", "FICT"})
METHODS_COUNTING_AS_INSI = frozenset({"INSI", "CV", "CB", "AV"})
"""Collection methods whose traits come from the national base (INSi by traits or Vitale, INS datamatrix,
Appli carte Vitale)."""


class InvalidStatusQuery(ValueError):
    pass


@dataclass(frozen=True)
class Assessment:
    status: str
    insi: bool
    high_trust_document: bool
    insi_call_allowed: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)


def is_high_trust(document: str | None, *, minor: bool = False) -> bool:
    code = (document or "").upper()
    return code in HIGH_TRUST_DOCUMENTS or (minor and code in MINOR_DOCUMENTS)


def check_attributes(attributes: frozenset[str]) -> None:
    unknown = sorted(attributes - ATTRIBUTES.keys())
    if unknown:
        raise InvalidStatusQuery(
            f"unknown identity attribute(s) {', '.join(unknown)}; one of {', '.join(ATTRIBUTES)}"
        )
    if attributes >= BLOCKING_ATTRIBUTES:
        raise InvalidStatusQuery("the attributes DOUT and FICT cannot both be set")


def assess(
    *,
    method: str | None,
    insi_result: str | None = None,
    document: str | None = None,
    minor: bool = False,
    attributes: frozenset[str] = frozenset(),
) -> Assessment:
    """The status an identity may have, from how its traits were obtained and the document checked.

    ``insi_result`` is the INSi return code when the traits come from an INSi call: only ``00`` (one
    identity, consistent with the person) counts. The Appli carte Vitale method (``AV``) gives a
    qualified identity on its own (FR Core method-collection CodeSystem).
    """
    check_attributes(attributes)
    method = (method or "SM").upper()
    if method not in METHODS:
        raise InvalidStatusQuery(f"unknown collection method {method!r}; one of {', '.join(METHODS)}")
    if document and document.upper() not in DOCUMENTS:
        raise InvalidStatusQuery(f"unknown validation document {document!r}; one of {', '.join(DOCUMENTS)}")
    reasons: list[str] = []
    if attributes & BLOCKING_ATTRIBUTES:
        reasons.append(f"attribute {'/'.join(sorted(attributes & BLOCKING_ATTRIBUTES))} forces PROV")
        return Assessment(PROV, False, False, False, tuple(reasons))
    if method == "AV":
        return Assessment(QUAL, True, True, True, ("Appli carte Vitale identities are qualified",))
    from_insi = method in METHODS_COUNTING_AS_INSI and (method != "INSI" or insi_result == "00")
    if method == "INSI" and insi_result != "00":
        reasons.append(f"INSi answered {insi_result or 'nothing'}: the traits are not retrieved")
    document_ok = is_high_trust(document, minor=minor)
    if document and not document_ok:
        reasons.append(f"document {document} is not high-trust" + (" for an adult" if not minor else ""))
    status = next(code for code, pair in CRITERIA.items() if pair == (from_insi, document_ok))
    return Assessment(status, from_insi, document_ok, True, tuple(reasons))


def transition_error(current: str, target: str, attributes: frozenset[str] = frozenset()) -> str | None:
    """Why ``current`` → ``target`` is forbidden, or None when it is allowed."""
    for code in (current, target):
        if code not in STATUSES:
            raise InvalidStatusQuery(f"unknown identity status {code!r}; one of {', '.join(STATUSES)}")
    check_attributes(attributes)
    if attributes & BLOCKING_ATTRIBUTES:
        return None if target == PROV else "a DOUT or FICT identity must stay PROV"
    if current == target:
        return None
    if target == PROV:
        return "going back to PROV needs the DOUT or FICT attribute"
    had, wants = CRITERIA[current], CRITERIA[target]
    lost = [
        name
        for name, before, after in zip(("INSi", "document"), had, wants, strict=True)
        if before and not after
    ]
    if lost:
        return f"{current} → {target} would lose the {' and '.join(lost)} criterion"
    return None


def transitions(attributes: frozenset[str] = frozenset()) -> list[dict[str, str | bool]]:
    """Every pair of statuses with whether it is allowed and, if not, why."""
    table: list[dict[str, str | bool]] = []
    for current in STATUSES:
        for target in STATUSES:
            if current == target:
                continue
            error = transition_error(current, target, attributes)
            row: dict[str, str | bool] = {"from": current, "to": target, "allowed": error is None}
            if error:
                row["reason"] = error
            table.append(row)
    return table


def report(
    *,
    method: str | None,
    insi_result: str | None,
    document: str | None,
    minor: bool,
    attributes: frozenset[str],
    current: str | None,
) -> dict[str, Any]:
    """The identity-status operation's answer: the status, why, every transition, and the asked change."""
    assessment = assess(
        method=method, insi_result=insi_result, document=document, minor=minor, attributes=attributes
    )
    answer: dict[str, Any] = {
        "status": assessment.status,
        "display": LABELS[assessment.status],
        "insi": assessment.insi,
        "highTrustDocument": assessment.high_trust_document,
        "insiCallAllowed": assessment.insi_call_allowed,
        "reasons": list(assessment.reasons),
        "transitions": transitions(attributes),
    }
    if current:
        error = transition_error(current.upper(), assessment.status, attributes)
        answer["change"] = {"from": current.upper(), "to": assessment.status, "allowed": error is None}
        if error:
            answer["change"]["reason"] = error
    return answer
