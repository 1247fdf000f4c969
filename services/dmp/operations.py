"""The DMP transactions: each checks, applies the access rules, stores in one transaction, audits.

Routes parse HTTP and call these; the rules live in the domain modules (``bundle``, ``documents``,
``policy``, ``patch``), the persistence in ``store``.
"""

from __future__ import annotations

import json
from typing import Any

from anyio import to_thread
from fastapi import Request
from sqlalchemy import Row
from sqlmodel import Session

from services.kernel.errors import Forbidden, Gone, NotFound, SocleError, Unprocessable
from services.kernel.fhir import searchset
from services.kernel.tokens import Caller, ServiceCaller

from . import search_store, store
from .bundle import Submission, plan_bundle, plan_simplified
from .context import Access, audit, notify_first_access, open_dmp, open_dmp_reading, record_access
from .dates import now
from .models import DmpDocument
from .patch import MetadataChange, apply_labels, from_fhirpath_patch, from_json_patch
from .policy import Role
from .resources import served, transaction_response, with_metadata
from .search import parse_query
from .store import unframe


def base_url(request: Request) -> str:
    return str(request.app.state.settings.base_url)


async def provide_bundle(request: Request, caller: Caller, body: Any) -> dict[str, Any]:
    """ITI-65: check the whole bundle, clear the access rules, store all of it or nothing.

    The checks are CPU work (a few ms per resource in fhir.resources): they run on a worker thread so
    the other services of the one-process stack keep answering meanwhile."""
    plan = await to_thread.run_sync(plan_bundle, body)
    system, ins = plan.patient
    expression = f"Bundle.entry[{plan.set_entry}].resource.subject"
    access = await open_dmp(
        request, caller, system=system, ins=ins, writing=True, expression=expression, subtype="ITI-65"
    )
    stamp = now()
    await _save(request, access, plan, stamp)
    return transaction_response(plan, len(body["entry"]), last_updated=stamp)


async def _save(
    request: Request, access: Access, plan: Submission, stamp: str, subtype: str = "ITI-65"
) -> list[DmpDocument]:
    """Store the submission and its audit row in one transaction."""

    def write(session: Session) -> tuple[list[DmpDocument], bool]:
        for document in plan.documents:
            if document.facts.replaces:
                _check_replace_right(session, access, document.facts.replaces)
        rows = store.save_submission(
            session, plan=plan, base_url=base_url(request), submitter=access.idnat, now=stamp
        )
        touched = [r.id for r in rows] + [r.replaces for r in rows if r.replaces]
        return rows, record_access(session, access, action="C", subtype=subtype, documents=touched)

    rows, first = await request.app.state.db.write(write)
    notify_first_access(request, first)
    return rows


def _check_replace_right(session: Session, access: Access, target: str) -> None:
    row = None if target.startswith("identifier:") else store.document(session, id=target)
    if row is not None and not access.decision(row).visible:
        raise Forbidden(
            "the replaced document is not visible to this professional",
            expression=["DocumentReference.relatesTo"],
        )


async def simplified_publish(request: Request, caller: Caller, body: Any) -> dict[str, Any]:
    """ITI-105: one DocumentReference with its content inline; replacement deprecates the target itself."""
    plan = await to_thread.run_sync(plan_simplified, body)
    facts = plan.documents[0].facts
    access = await open_dmp(
        request,
        caller,
        system=facts.patient_system,
        ins=facts.patient_ins,
        writing=True,
        expression="DocumentReference.subject",
        subtype="ITI-105",
    )
    rows = await _save(request, access, plan, now(), "ITI-105")
    return served(rows[0].resource, base_url(request))


async def find_documents(
    request: Request, caller: Caller | ServiceCaller, params: dict[str, list[str]]
) -> dict[str, Any]:
    """ITI-67: the patient's documents the caller may see, one page, with total and next link."""
    query = parse_query(params)

    def read(session: Session, access: Access) -> tuple[list[Row[tuple[str, str, int]]], int]:
        professional = access.role.is_professional
        hidden = access.hidden_labels()
        return search_store.search_documents(
            session,
            query=query,
            hidden_labels=hidden,
            author_hidden_labels=access.hidden_labels(Role.AUTHOR) if professional else hidden,
            caller_idnat=access.idnat if professional else "",
        )

    access, found = await open_dmp_reading(
        request,
        caller,
        read,
        system="",
        ins=query.patient_ins,
        writing=False,
        expression="patient.identifier",
        subtype="ITI-67",
    )
    rows, total = found or ([], 0)
    await audit(request, access, action="E", subtype="ITI-67", documents=[r.id for r in rows])
    flat = {k: ",".join(v) for k, v in params.items()}
    return searchset(
        [served(r.resource, base_url(request)) for r in rows],
        total=total,
        base_url=f"{base_url(request)}/fhir/DocumentReference",
        params=flat,
        offset=query.offset,
        count=query.count,
    )


async def _document_access(
    request: Request, caller: Caller | ServiceCaller, row: DmpDocument, subtype: str, *, writing: bool = False
) -> Access:
    access = await open_dmp(
        request,
        caller,
        system="",
        ins=row.patient_ins,
        writing=writing,
        expression="DocumentReference",
        subtype=subtype,
    )
    decision = access.decision(row)
    if not decision.visible:
        await audit(
            request,
            access,
            action="R",
            subtype=subtype,
            outcome="4",
            documents=[row.id],
            description=decision.reason,
        )
        raise Forbidden(decision.reason, expression=["DocumentReference.securityLabel"])
    return access


async def read_document(request: Request, caller: Caller | ServiceCaller, id: str) -> dict[str, Any]:
    row = await request.app.state.db.read(lambda s: store.document(s, id=id))
    if row is None or row.status == "entered-in-error":
        raise (Gone if row else NotFound)(f"no DocumentReference {id}")
    access = await _document_access(request, caller, row, "READ")
    await audit(request, access, action="R", subtype="READ", documents=[row.id])
    return served(row.resource, base_url(request))


async def retrieve(
    request: Request, caller: Caller | ServiceCaller, binary_id: str
) -> tuple[bytes, str, DmpDocument]:
    """ITI-68: the document's bytes; 404 unknown, 403 when the rules hide it, 410 once deleted or
    deprecated (MHD ITI-68 Table 2:3.68.4.2.2-1: a replaced version is no longer available)."""
    found = await request.app.state.db.read(lambda s: store.binary_with_document(s, binary_id=binary_id))
    if found is None:
        raise NotFound(f"no document at Binary/{binary_id}")
    binary, row = found
    if row.status == "entered-in-error":
        raise Gone("this document was deleted by its author")
    if row.status == "superseded":
        newer = await request.app.state.db.read(lambda s: store.replacement_of(s, row=row))
        raise Gone(f"this document was replaced by DocumentReference/{newer or '?'}")
    access = await _document_access(request, caller, row, "ITI-68")
    await audit(request, access, action="R", subtype="ITI-68", documents=[row.id])
    return binary.data, binary.content_type, row


async def update_metadata(
    request: Request,
    caller: Caller | ServiceCaller,
    *,
    id: str | None,
    identifier: str | None,
    patch: Any,
    content_type: str,
) -> dict[str, Any]:
    """PATCH of status (deletion), security labels (masking, visibility) or archiving; 405 for anything else."""
    if id is not None:
        row = await request.app.state.db.read(lambda s: store.document(s, id=id))
        rows = [row] if row is not None else []
    else:
        rows = await request.app.state.db.read(
            lambda s: store.documents_by_identifier(s, value=identifier or "")
        )
        rows = [r for r in rows if r.status != "superseded"] or rows
    if not rows:
        raise NotFound(f"no DocumentReference {id or identifier}")
    if len(rows) > 1:
        raise SocleError("several documents match that identifier", status=412)
    row = rows[0]
    if row.status == "entered-in-error":
        raise Gone(f"DocumentReference {row.id} was deleted")
    labels = unframe(row.security)
    resource = json.loads(row.resource)
    if content_type == "application/json-patch+json":
        change = from_json_patch(patch, labels, resource.get("extension") or [])
    elif isinstance(patch, dict) and patch.get("resourceType") == "Parameters":
        change = from_fhirpath_patch(patch, labels)
    else:
        raise SocleError(
            "send a JSON Patch (application/json-patch+json) or a FHIRPath Patch Parameters", status=415
        )
    access = await _document_access(request, caller, row, "PATCH", writing=False)
    _check_change(access, row, change)
    stamp = now()

    def write(session: Session) -> DmpDocument:
        current = store.document(session, id=row.id)
        if current is None or current.version != row.version:
            raise SocleError("the document changed meanwhile; retry", status=409)
        status = "entered-in-error" if change.deletes else current.status
        new_labels = apply_labels(labels, change)
        archived = current.is_archived if change.archived is None else change.archived
        version = current.version + 1
        updated = with_metadata(
            json.loads(current.resource),
            status=status,
            labels=new_labels,
            archived=archived,
            version=version,
            last_updated=stamp,
        )
        current.status, current.security, current.is_archived = status, store.frame(new_labels), archived
        current.version, current.last_updated, current.resource = (
            version,
            stamp,
            json.dumps(updated, ensure_ascii=False),
        )
        store.save_document(session, row=current)
        return current

    saved = await request.app.state.db.write(write)
    await audit(request, access, action="D" if change.deletes else "U", subtype="PATCH", documents=[row.id])
    return served(saved.resource, base_url(request))


def _check_change(access: Access, row: DmpDocument, change: MetadataChange) -> None:
    if change.status is not None and change.status not in ("entered-in-error",):
        raise Unprocessable(
            f"status {change.status!r} cannot be set by PATCH: deletion is entered-in-error, replacement goes through ITI-65",
            expression=["DocumentReference.status"],
        )
    if change.deletes and access.role_for(row) is not Role.AUTHOR:
        raise Forbidden(
            "only the author may delete a document (DMP-MDRF)", expression=["DocumentReference.status"]
        )
    if not access.role.is_professional and (set(change.add) | set(change.remove)) - {"MASQUE_PS"}:
        raise Forbidden(
            "a patient may only mask or unmask a document", expression=["DocumentReference.securityLabel"]
        )
