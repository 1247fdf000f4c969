"""Who is asking, for which patient, in which mode: the facts the policy needs, gathered per request.

How a request states its access mode (no FHIR carrier exists, dmp.md §2 and §14): the headers
``X-DMP-Access-Mode`` (``normal`` — the default —, ``bris_de_glace`` or ``centre_15``, JDV_J38 codes)
and ``X-DMP-Access-Reason`` (free text, required for bris de glace). A peer service acting for the
patient (the Mon espace santé side) calls with the internal secret and ``X-DMP-Actor: patient`` or
``representative``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from fastapi import Request
from sqlmodel import Session

from services.kernel.errors import BadRequest, Forbidden, NotFound, SocleError, Unprocessable
from services.kernel.tokens import Caller, ServiceCaller
from services.kernel.traffic import annotate

from . import store
from .dates import now
from .identity import QUALIFIED, InsDirectory
from .models import DmpDocument, DmpRecord
from .policy import Decision, GateFacts, Mode, Outcome, Role, Visibility, decide, dmp_gate, visibility_of
from .store import unframe

MODE_HEADER = "x-dmp-access-mode"
REASON_HEADER = "x-dmp-access-reason"
ACTOR_HEADER = "x-dmp-actor"
PHYSICIAN = "10"
T = TypeVar("T")
ERRORS: dict[int, type[SocleError]] = {400: BadRequest, 403: Forbidden, 404: NotFound, 422: Unprocessable}


@dataclass
class Access:
    """A caller cleared to use one patient's DMP, and what they may see in it."""

    ins: str
    system: str
    record: DmpRecord
    role: Role
    """The role towards every document of the patient (author is decided per document)."""
    mode: Mode
    reason: str
    idnat: str
    client_id: str

    def role_for(self, row: DmpDocument) -> Role:
        if self.role.is_professional and self.idnat and self.idnat in unframe(row.authors):
            return Role.AUTHOR
        return self.role

    def decision(self, row: DmpDocument) -> Decision:
        labels = visibility_of(unframe(row.security))
        return decide(self.role_for(row), self.mode, labels, self.record.opposition)

    def hidden_labels(self, role: Role | None = None) -> frozenset[str]:
        """The visibility labels that hide a document from ``role`` (derived from the policy itself)."""
        who = role or self.role
        return frozenset(
            v.value
            for v in Visibility
            if v is not Visibility.NORMAL and not decide(who, self.mode, frozenset({v}), False).visible
        )


def mode_of(request: Request) -> tuple[Mode, str]:
    raw = request.headers.get(MODE_HEADER, Mode.NORMAL.value).strip()
    try:
        mode = Mode(raw)
    except ValueError:
        raise BadRequest(
            f"unknown access mode {raw!r}: normal, bris_de_glace or centre_15 (JDV_J38)",
            expression=["X-DMP-Access-Mode"],
            fhir_code="code-invalid",
        ) from None
    return mode, request.headers.get(REASON_HEADER, "")


def actor_of(request: Request, caller: Caller | ServiceCaller) -> Role:
    if isinstance(caller, Caller):
        return Role.PROFESSIONAL
    raw = request.headers.get(ACTOR_HEADER, "patient")
    if raw not in (Role.PATIENT, Role.REPRESENTATIVE):
        raise BadRequest("X-DMP-Actor is patient or representative", expression=["X-DMP-Actor"])
    return Role(raw)


def ins_directory(request: Request) -> InsDirectory:
    directory: InsDirectory | None = getattr(request.app.state, "ins_directory", None)
    if directory is None:
        directory = request.app.state.ins_directory = InsDirectory(request.app.state.peers.client("ins"))
    return directory


async def check_identity(request: Request, *, system: str, ins: str, expression: str) -> None:
    """422 unless the INS service knows this INS as a qualified identity (EF_DMP11_01)."""
    status = await ins_directory(request).status(system, ins)
    if status is None:
        raise Unprocessable(
            f"INS {ins} is unknown to the INS service", expression=[expression], fhir_code="not-found"
        )
    if status != QUALIFIED:
        raise Unprocessable(
            f"the identity of INS {ins} is not qualified ({status or 'no status'}): the DMP needs a qualified INS",
            expression=[expression],
            fhir_code="business-rule",
        )


async def open_dmp(
    request: Request,
    caller: Caller | ServiceCaller,
    *,
    system: str,
    ins: str,
    writing: bool,
    expression: str,
    subtype: str,
) -> Access:
    """The caller's access to this patient's DMP, after every patient-level rule; raises on refusal."""
    access, _ = await open_dmp_reading(
        request,
        caller,
        None,
        system=system,
        ins=ins,
        writing=writing,
        expression=expression,
        subtype=subtype,
    )
    return access


async def open_dmp_reading(
    request: Request,
    caller: Caller | ServiceCaller,
    then: Callable[[Session, Access], T] | None,
    *,
    system: str,
    ins: str,
    writing: bool,
    expression: str,
    subtype: str,
) -> tuple[Access, T | None]:
    """:func:`open_dmp`, plus ``then(session, access)`` read in the same read transaction as the DMP's
    facts when the caller is let in (e.g. the ITI-67 search).

    The INS qualification is asked while that read runs: both are needed for every request and neither
    depends on the other, so the request waits for the slower of the two instead of their sum. An INS
    refusal still wins over everything else, and whatever ``then`` read is then thrown away unseen."""
    annotate(request, patient=ins)
    mode, reason = mode_of(request)
    base = actor_of(request, caller)
    idnat = caller.idnat if isinstance(caller, Caller) else ""
    physician = isinstance(caller, Caller) and caller.profession == PHYSICIAN
    client_id = getattr(caller, "client_id", "")

    def facts(session: Session) -> tuple[Access, Decision, T | None]:
        found, blocked = store.record_and_block(session, ins=ins, idnat=idnat)
        record = found or DmpRecord(ins=ins, state="none")
        role = base
        if role is Role.PROFESSIONAL and record.medecin_traitant and record.medecin_traitant == idnat:
            role = Role.MEDECIN_TRAITANT
        access = Access(ins, system, record, role, mode, reason, idnat, client_id)
        gate_facts = GateFacts(
            dmp_state=record.state,
            blocked=blocked,
            is_professional=role.is_professional,
            is_physician=physician,
            mode=mode,
            reason=reason,
            writing=writing,
        )
        gate = dmp_gate(gate_facts)
        if gate.visible and not writing:
            gate = decide(role, mode, frozenset(), record.opposition)
        read = then(session, access) if then is not None and gate.outcome is not Outcome.REFUSED else None
        return access, gate, read

    identity, opened = await asyncio.gather(
        check_identity(request, system=system, ins=ins, expression=expression),
        request.app.state.db.read(facts),
        return_exceptions=True,
    )
    for outcome in (identity, opened):
        if isinstance(outcome, BaseException):
            raise outcome
    access, gate, read = cast(tuple[Access, Decision, T | None], opened)
    if gate.outcome is Outcome.REFUSED:
        if access.record.state != "none":
            await audit(request, access, action="E", subtype=subtype, outcome="4", description=gate.reason)
        raise ERRORS.get(gate.status, Forbidden)(
            gate.reason, expression=[expression], fhir_code="forbidden" if gate.status == 403 else None
        )
    return access, read


def record_access(
    session: Session,
    access: Access,
    *,
    action: str,
    subtype: str,
    outcome: str = "0",
    documents: list[str] | None = None,
    description: str = "",
) -> bool:
    """Add the audit row (and, the first time a professional opens this DMP, the patient's
    notification) to ``session``; True when this was that first access."""
    stamp = now()
    rows = [_row(access, stamp, action, subtype, outcome, documents, description)]
    first = bool(access.idnat) and outcome == "0"
    if first:
        first = store.first_access(session, ins=access.ins, idnat=access.idnat, now=stamp)
    if first:
        notice = f"notification au patient : premier accès de {access.idnat} à son DMP"
        rows.append(_row(access, stamp, "E", "first-access-notification", "0", None, notice))
    store.add_audits(session, rows=rows)
    return first


def notify_first_access(request: Request, first: bool) -> None:
    if first:
        annotate(request, notification="first-access")


async def audit(
    request: Request,
    access: Access,
    *,
    action: str,
    subtype: str,
    outcome: str = "0",
    documents: list[str] | None = None,
    description: str = "",
) -> None:
    """Record the access in a transaction of its own (reads and refusals)."""
    first = await request.app.state.db.write(
        lambda session: record_access(
            session,
            access,
            action=action,
            subtype=subtype,
            outcome=outcome,
            documents=documents,
            description=description,
        )
    )
    notify_first_access(request, first)


def _row(
    access: Access,
    stamp: str,
    action: str,
    subtype: str,
    outcome: str,
    documents: list[str] | None,
    description: str,
) -> dict[str, str]:
    """One ``dmp_audit`` row (every column of :class:`DmpAudit`)."""
    return {
        "id": str(uuid.uuid4()),
        "recorded": stamp,
        "patient_ins": access.ins,
        "idnat": access.idnat,
        "client_id": access.client_id,
        "action": action,
        "subtype": subtype,
        "mode": access.mode.value,
        "reason": access.reason,
        "outcome": outcome,
        "documents": ",".join(documents or []),
        "description": description,
    }
