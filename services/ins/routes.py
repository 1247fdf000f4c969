"""The INS FHIR API (``/fhir``): PDQm Patient search and read, ITI-119 ``$match``, the
CapabilityStatement, and the identity-status helper. Thin: parse, call the rules, serialise.

``$match`` comes first: routes are tried in order, and it is the one asked most.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from services.kernel.errors import BadRequest, NotFound
from services.kernel.fhir import FhirResponse, paging, parse_resource, read_json, searchset
from services.kernel.tokens import CurrentCaller
from services.kernel.traffic import annotate

from . import status, store
from .capability import capability
from .lookup import Lookups
from .matching import match_traits, verify
from .representation import match_bundle, patient_resource
from .search import criteria, match_request

router = APIRouter()


@router.post("/fhir/Patient/$match")
async def match(request: Request, caller: CurrentCaller) -> FhirResponse:
    body = await read_json(request)
    parse_resource(body, "Parameters")
    wanted = match_request(body)
    traits = wanted.traits
    lookups: Lookups = request.app.state.lookups
    if wanted.ins:
        outcome = verify(await lookups.get(ins=wanted.ins), traits)
    else:
        candidates = await lookups.by_traits(
            birth_name=traits.birth_name, birth_date=traits.birth_date, sex=traits.sex
        )
        outcome = match_traits(traits, candidates)
    if outcome.person is not None:
        annotate(request, patient=outcome.person.ins.value)
    annotate(request, insi_code=outcome.code, verification=bool(wanted.ins))
    return FhirResponse(match_bundle(outcome, only_certain=wanted.only_certain, count=wanted.count))


@router.get("/fhir/metadata")
async def metadata(request: Request) -> FhirResponse:
    return FhirResponse(capability(request.app.state.settings.base_url + "/fhir"))


@router.get("/fhir/Patient")
async def search_patients(request: Request, caller: CurrentCaller) -> FhirResponse:
    return await _search(request, dict(request.query_params))


@router.post("/fhir/Patient/_search")
async def search_patients_by_post(request: Request, caller: CurrentCaller) -> FhirResponse:
    """PDQm also allows the search as a form POST (parameters out of URLs and logs)."""
    form = await request.form()
    return await _search(request, {**request.query_params, **{k: str(v) for k, v in form.items()}})


async def _search(request: Request, params: dict[str, str]) -> FhirResponse:
    offset, limit = paging(params)
    wanted = criteria(params)
    if wanted.only_ins and wanted.ins is not None:
        found = await request.app.state.lookups.by_any_ins(ins=wanted.ins, oid=wanted.oid)
        people, total = found[offset : offset + limit], len(found)
    else:
        people, total = await request.app.state.db.read(
            lambda s: store.search(s, criteria=wanted, offset=offset, limit=limit)
        )
    if len(people) == 1:
        annotate(request, patient=people[0].ins.value)
    base = request.app.state.settings.base_url + "/fhir/Patient"
    return FhirResponse(
        searchset(
            [patient_resource(p) for p in people],
            total=total,
            base_url=base,
            params=params,
            offset=offset,
            count=limit,
        )
    )


@router.get("/fhir/Patient/{ins}")
async def read_patient(ins: str, request: Request, caller: CurrentCaller) -> FhirResponse:
    person = await request.app.state.lookups.get(ins=ins.upper())
    if person is None:
        raise NotFound(f"no Patient with id {ins!r}")
    annotate(request, patient=person.ins.value)
    return FhirResponse(patient_resource(person))


@router.get("/fhir/$identity-status")
async def identity_status(
    method: str | None = Query(None, description="collection method: SM, CV, INSI, CB, RFID, AV"),
    insi_result: str | None = Query(None, alias="insi-result", description="INSi CodeCR when method=INSI"),
    document: str | None = Query(None, description="validation document code (CN, PA, CS, CE, AN, LE...)"),
    minor: bool = False,
    attribute: list[str] = Query(
        default_factory=list, description="identity attributes such as DOUT, FICT, HOMA"
    ),
    current: str | None = Query(None, description="the identity's current status, to check a change"),
) -> dict[str, Any]:
    """The RNIV status an identity may have, and which status changes are forbidden (JSON)."""
    try:
        return status.report(
            method=method,
            insi_result=insi_result,
            document=document,
            minor=minor,
            attributes=frozenset(a.upper() for a in attribute),
            current=current,
        )
    except status.InvalidStatusQuery as exc:
        raise BadRequest(str(exc)) from None
