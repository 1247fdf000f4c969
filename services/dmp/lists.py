"""ITI-66 Find Document Lists: the submission sets of a patient (PDSm Flux 05a; DMP "new documents
since my last visit" = submission sets with ``date=ge<last call>``). Folders are not supported, so a
folder search is answered empty."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from sqlmodel import Session

from services.kernel.errors import BadRequest
from services.kernel.fhir import paging, searchset
from services.kernel.tokens import Caller, ServiceCaller

from . import codes, search_store, store
from .context import Access, audit, open_dmp
from .dates import parse_bound
from .models import DmpSubmissionSet
from .search import codes_of, patient_of


async def find_lists(
    request: Request, caller: Caller | ServiceCaller, params: dict[str, list[str]]
) -> dict[str, Any]:
    ins = patient_of(params)
    kinds = [code for value in params.get("code", ["submissionset"]) for code in codes_of(value)]
    unknown = set(kinds) - {"submissionset", "folder"}
    if unknown:
        raise BadRequest(
            f"code is submissionset or folder ({codes.MHD_LIST_TYPES})",
            expression=["code"],
            fhir_code="code-invalid",
        )
    statuses = [code for value in params.get("status", ["current"]) for code in codes_of(value)]
    bounds = [parse_bound(value, "date") for value in params.get("date", [])]
    offset, count = paging(
        {k: v[-1] for k, v in params.items() if k in ("_count", "_offset")}, default=50, maximum=500
    )
    access = await open_dmp(
        request, caller, system="", ins=ins, writing=False, expression="patient.identifier", subtype="ITI-66"
    )

    def read(session: Session) -> tuple[list[dict[str, Any]], int]:
        if "submissionset" not in kinds or "current" not in statuses:
            return [], 0
        rows, total = search_store.submission_sets(
            session, ins=ins, bounds=bounds, offset=offset, count=count
        )
        return [_as_seen_by(session, access, row) for row in rows], total

    resources, total = await request.app.state.db.read(read)
    await audit(request, access, action="E", subtype="ITI-66")
    base = str(request.app.state.settings.base_url)
    return searchset(
        resources,
        total=total,
        base_url=f"{base}/fhir/List",
        params={k: ",".join(v) for k, v in params.items()},
        offset=offset,
        count=count,
    )


def _as_seen_by(session: Session, access: Access, row: DmpSubmissionSet) -> dict[str, Any]:
    """The submission set without the items this caller may not see: a masked document's id must not leak."""
    resource: dict[str, Any] = json.loads(row.resource)
    kept = []
    for entry in resource.get("entry", []):
        reference = str(entry.get("item", {}).get("reference", ""))
        document = store.document(session, id=reference.removeprefix("DocumentReference/"))
        if document is None or access.decision(document).visible:
            kept.append(entry)
    resource.pop("entry", None)
    return resource | ({"entry": kept} if kept else {})
