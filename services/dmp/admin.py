"""DMP administration and access history: TD02 status read, create / close / reopen, the patient's
opposition, blocked professionals and médecin traitant, AuditEvent search."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlmodel import Session

from services.kernel.errors import BadRequest, NotFound
from services.kernel.fhir import paging, searchset
from services.kernel.identifiers import is_luhn_valid
from services.kernel.tokens import Caller, ServiceCaller
from services.kernel.traffic import annotate

from . import codes, store
from .administration import CLOSE_MOTIFS, transition
from .context import Access, actor_of, audit, check_identity, open_dmp, record_access
from .dates import now
from .models import DmpRecord
from .policy import Mode
from .resources import audit_event, dmp_patient
from .search import patient_of

DEFAULT_SYSTEM = "urn:oid:1.2.250.1.213.1.4.8"


def _identifier(raw: str) -> tuple[str, str]:
    system, bar, value = raw.partition("|")
    if not bar:
        return "", system
    if system not in codes.INS_SYSTEMS:
        raise BadRequest(
            f"{system!r} is not an INS system", expression=["identifier"], fhir_code="code-invalid"
        )
    return system, value


async def dmp_status(request: Request, caller: Caller | ServiceCaller, identifier: str) -> dict[str, Any]:
    """TD02: a searchset with the DMP as a Patient (active = open), or empty when there is none."""
    system, ins = _identifier(identifier)
    annotate(request, patient=ins)
    await check_identity(request, system=system, ins=ins, expression="identifier")
    row = await request.app.state.db.read(lambda s: store.record(s, ins=ins))
    idnat = caller.idnat if isinstance(caller, Caller) else ""
    found = (
        []
        if row is None or row.state == "none"
        else [dmp_patient(row, system=system or DEFAULT_SYSTEM, caller_idnat=idnat)]
    )
    return searchset(
        found,
        total=len(found),
        base_url=f"{request.app.state.settings.base_url}/fhir/Patient",
        params={"identifier": identifier},
        offset=0,
        count=max(1, len(found)),
    )


def parameters(body: Any) -> dict[str, Any]:
    """A Parameters resource as name → value (the one ``value[x]`` of each parameter)."""
    if not body:
        return {}
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise BadRequest("send a Parameters resource", expression=["Parameters"], fhir_code="structure")
    values: dict[str, Any] = {}
    for parameter in body.get("parameter") or []:
        value = next((v for k, v in parameter.items() if k.startswith("value")), None)
        values[str(parameter.get("name"))] = value
    return values


async def administer(
    request: Request, caller: Caller | ServiceCaller, ins: str, action: str, body: Any
) -> dict[str, Any]:
    """Create, close or reopen a DMP, or record the patient's opposition, blocks and médecin traitant."""
    values = parameters(body)
    annotate(request, patient=ins)
    await check_identity(request, system="", ins=ins, expression="Patient.identifier")
    stamp = now()
    if action in ("create", "reopen", "close"):
        motif, reason = str(values.get("motif") or "patient-demande"), str(values.get("reason") or "")
        if action == "close" and motif not in CLOSE_MOTIFS:
            raise BadRequest(
                f"motif is one of {', '.join(CLOSE_MOTIFS)}",
                expression=["Parameters.parameter:motif"],
                fhir_code="code-invalid",
            )

        def change_state(session: Session) -> DmpRecord:
            row = store.record(session, ins=ins) or DmpRecord(ins=ins, state="none")
            row.state = transition(row.state, action)
            row.closed_at, row.close_motif, row.close_reason = (
                (stamp, motif, reason) if action == "close" else (None, None, None)
            )
            row.updated = stamp
            saved = store.save_record(session, row=row)
            record_access(
                session,
                Access(ins, "", saved, actor_of(request, caller), Mode.NORMAL, reason, idnat, client_id),
                action="C" if action == "create" else "U",
                subtype=f"admin-{action}",
                description=f"{action} {motif if action == 'close' else ''}".strip(),
            )
            return saved

        idnat = caller.idnat if isinstance(caller, Caller) else ""
        client_id = caller.client_id if isinstance(caller, Caller) else caller.service
        row = await request.app.state.db.write(change_state)
    else:
        access = await open_dmp(
            request, caller, system="", ins=ins, writing=True, expression="Patient", subtype=f"admin-{action}"
        )
        row = await request.app.state.db.write(lambda s: _apply(s, access.record.ins, action, values, stamp))
        await audit(request, access, action="U", subtype=f"admin-{action}", description=f"{action} {values}")
        return _status(row, await request.app.state.db.read(lambda s: store.blocked_of(s, ins=ins)))
    return _status(row, await request.app.state.db.read(lambda s: store.blocked_of(s, ins=ins)))


def _idnat(values: dict[str, Any]) -> str:
    idnat = str(values.get("idnat") or "")
    if not (idnat[:1] in "0123568" and idnat[1:].isdigit() and (idnat[0] != "8" or is_luhn_valid(idnat[1:]))):
        raise BadRequest(
            f"{idnat!r} is not a professional's national id (idNat)",
            expression=["Parameters.parameter:idnat"],
            fhir_code="value",
        )
    return idnat


def _apply(session: Session, ins: str, action: str, values: dict[str, Any], stamp: str) -> DmpRecord:
    row = store.record(session, ins=ins)
    if row is None:
        raise NotFound("this patient has no DMP")
    if action == "opposition":
        if not isinstance(values.get("opposition"), bool):
            raise BadRequest("opposition takes a boolean", expression=["Parameters.parameter:opposition"])
        row.opposition = values["opposition"]
    elif action in ("block", "unblock"):
        store.set_blocked(session, ins=ins, idnat=_idnat(values), blocked=action == "block")
    elif action == "medecin-traitant":
        row.medecin_traitant = _idnat(values) if values.get("idnat") else None
    else:
        raise NotFound(f"no DMP operation {action!r}")
    row.updated = stamp
    return store.save_record(session, row=row)


def _status(row: DmpRecord, blocked: list[str]) -> dict[str, Any]:
    parameter: list[dict[str, Any]] = [
        {"name": "ins", "valueString": row.ins},
        {"name": "state", "valueCode": row.state},
        {"name": "opposition", "valueBoolean": row.opposition},
    ]
    if row.medecin_traitant:
        parameter.append(
            {
                "name": "medecinTraitant",
                "valueIdentifier": {"system": codes.IDNPS, "value": row.medecin_traitant},
            }
        )
    parameter += [
        {"name": "blocked", "valueIdentifier": {"system": codes.IDNPS, "value": b}} for b in blocked
    ]
    if row.closed_at:
        parameter.append({"name": "closedAt", "valueDateTime": row.closed_at})
    return {"resourceType": "Parameters", "parameter": parameter}


async def read_status(request: Request, caller: Caller | ServiceCaller, ins: str) -> dict[str, Any]:
    await check_identity(request, system="", ins=ins, expression="Patient.identifier")
    row = await request.app.state.db.read(lambda s: store.record(s, ins=ins))
    if row is None:
        row = DmpRecord(ins=ins, state="none")
    return _status(row, await request.app.state.db.read(lambda s: store.blocked_of(s, ins=ins)))


async def find_audit_events(
    request: Request, caller: Caller | ServiceCaller, params: dict[str, list[str]]
) -> dict[str, Any]:
    """The access history of one patient's DMP, newest first."""
    ins = patient_of(
        {
            ("patient.identifier" if k in ("entity.identifier", "patient.identifier") else k): v
            for k, v in params.items()
        }
    )
    access = await open_dmp(
        request, caller, system="", ins=ins, writing=False, expression="patient", subtype="AuditEvent"
    )
    offset, count = paging({k: v[-1] for k, v in params.items()}, default=50, maximum=500)

    def read(session: Session) -> tuple[list[Any], int, set[str]]:
        rows, total = store.audits(session, ins=ins, offset=offset, count=count)
        documents = {d for row in rows for d in row.documents.split(",") if d}
        found = (store.document(session, id=d) for d in documents)
        return rows, total, {d.id for d in found if d is not None and not access.decision(d).visible}

    rows, total, hidden = await request.app.state.db.read(read)
    base = str(request.app.state.settings.base_url)
    await audit(request, access, action="R", subtype="AuditEvent")
    return searchset(
        [_without(audit_event(r, base_url=base), hidden) for r in rows],
        total=total,
        base_url=f"{base}/fhir/AuditEvent",
        params={k: ",".join(v) for k, v in params.items()},
        offset=offset,
        count=count,
    )


def _without(event: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """The event without the documents this caller may not see: a masked document's id must not leak."""
    entities = [
        e for e in event.get("entity", []) if e["what"].get("reference", "").split("/")[-1] not in hidden
    ]
    return event | {"entity": entities}
