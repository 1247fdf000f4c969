"""The INS FHIR API (``/fhir``): PDQm Patient search and read, ITI-119 ``$match``, the
CapabilityStatement, and the identity-status helper. Thin: parse, call the rules, serialise.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from services.kernel.errors import BadRequest, NotFound
from services.kernel.fhir import FhirResponse, now_instant, paging, parse_resource, read_json, searchset
from services.kernel.tokens import CurrentCaller
from services.kernel.traffic import annotate

from . import status, store
from .capability import capability
from .matching import FOUND, NOT_FOUND, Outcome, match_traits, verify
from .representation import patient_resource
from .search import criteria, match_request

router = APIRouter()

MATCH_GRADE = "http://hl7.org/fhir/StructureDefinition/match-grade"


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
    person = await request.app.state.db.read(lambda s: store.get(s, ins=ins.upper()))
    if person is None:
        raise NotFound(f"no Patient with id {ins!r}")
    annotate(request, patient=person.ins.value)
    return FhirResponse(patient_resource(person))


@router.post("/fhir/Patient/$match")
async def match(request: Request, caller: CurrentCaller) -> FhirResponse:
    body = await read_json(request)
    parse_resource(body, "Parameters")
    wanted = match_request(body)
    traits = wanted.traits
    if wanted.ins:
        person = await request.app.state.db.read(lambda s: store.get(s, ins=wanted.ins))
        outcome = verify(person, traits)
    else:
        candidates = await request.app.state.db.read(
            lambda s: store.by_traits(
                s, birth_name=traits.birth_name, birth_date=traits.birth_date, sex=traits.sex
            )
        )
        outcome = match_traits(traits, candidates)
    if outcome.person is not None:
        annotate(request, patient=outcome.person.ins.value)
    annotate(request, insi_code=outcome.code, verification=bool(wanted.ins))
    return FhirResponse(match_bundle(outcome, only_certain=wanted.only_certain, count=wanted.count))


def match_bundle(outcome: Outcome, *, only_certain: bool, count: int | None) -> dict[str, Any]:
    """ITI-119 answer: the one certain match, or every candidate graded, or an OperationOutcome saying why."""
    entries: list[dict[str, Any]] = []
    if outcome.code == FOUND or (outcome.candidates and not only_certain):
        grade, score = ("certain", 1.0) if outcome.code == FOUND else ("possible", 0.5)
        for person in outcome.candidates[: count or None]:
            resource = patient_resource(person)
            entries.append(
                {
                    "fullUrl": f"Patient/{resource['id']}",
                    "resource": resource,
                    "search": {
                        "extension": [{"url": MATCH_GRADE, "valueCode": grade}],
                        "mode": "match",
                        "score": score,
                    },
                }
            )
    if outcome.code != FOUND:
        issue_code = "not-found" if outcome.code == NOT_FOUND else "multiple-matches"
        advice = (
            "check the traits, or try another birth first name"
            if outcome.code == NOT_FOUND
            else "several identities match: add another birth first name or the birth place"
        )
        entries.append(
            {
                "resource": {
                    "resourceType": "OperationOutcome",
                    "issue": [
                        {
                            "severity": "information" if entries else "warning",
                            "code": issue_code,
                            "details": {
                                "coding": [{"system": "urn:socle:insi:CodeCR", "code": outcome.code}],
                                "text": outcome.label,
                            },
                            "diagnostics": f"INSi {outcome.code} ({outcome.label}): {advice}",
                        }
                    ],
                },
                "search": {"mode": "outcome"},
            }
        )
    matches = sum(1 for e in entries if e["search"]["mode"] == "match")
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": now_instant(),
        "total": matches,
        "entry": entries,
    }


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
    attributes = frozenset(a.upper() for a in attribute)
    try:
        assessment = status.assess(
            method=method, insi_result=insi_result, document=document, minor=minor, attributes=attributes
        )
        answer: dict[str, Any] = {
            "status": assessment.status,
            "display": status.LABELS[assessment.status],
            "insi": assessment.insi,
            "highTrustDocument": assessment.high_trust_document,
            "insiCallAllowed": assessment.insi_call_allowed,
            "reasons": list(assessment.reasons),
            "transitions": status.transitions(attributes),
        }
        if current:
            error = status.transition_error(current.upper(), assessment.status, attributes)
            answer["change"] = {"from": current.upper(), "to": assessment.status, "allowed": error is None}
            if error:
                answer["change"]["reason"] = error
    except status.InvalidStatusQuery as exc:
        raise BadRequest(str(exc)) from None
    return answer
