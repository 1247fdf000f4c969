"""How the DMP asks INS about an identity: read by INS first, the identifier search when the read
cannot decide (no such current INS, or an INS of another system)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from services.dmp.identity import IDENTITY_RELIABILITY, InsDirectory

NIR = "urn:oid:1.2.250.1.213.1.4.8"
NIA = "urn:oid:1.2.250.1.213.1.4.9"
INS = "297022A02077878"


def _patient(status: str, system: str = NIR) -> dict[str, Any]:
    reliability = {"url": "identityStatus", "valueCoding": {"code": status}}
    return {
        "resourceType": "Patient",
        "id": INS,
        "identifier": [{"system": system, "value": INS}],
        "extension": [{"url": IDENTITY_RELIABILITY, "extension": [reliability]}],
    }


def _ask(routes: dict[str, httpx.Response], system: str) -> tuple[str | None, list[str]]:
    """The status the directory finds, and the requests it made (path and query)."""
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.raw_path.decode())
        return routes.get(request.url.path, httpx.Response(404, json={"resourceType": "OperationOutcome"}))

    async def run() -> str | None:
        async with httpx.AsyncClient(base_url="http://ins", transport=httpx.MockTransport(answer)) as client:
            return await InsDirectory(client).status(system, INS)

    return asyncio.run(run()), asked


def test_the_current_ins_is_read_in_one_request() -> None:
    status, asked = _ask({f"/fhir/Patient/{INS}": httpx.Response(200, json=_patient("QUAL"))}, NIR)
    assert (status, asked) == ("QUAL", [f"/fhir/Patient/{INS}"])
    status, asked = _ask({f"/fhir/Patient/{INS}": httpx.Response(200, json=_patient("PROV"))}, "")
    assert (status, asked) == ("PROV", [f"/fhir/Patient/{INS}"])


def test_an_ins_the_read_does_not_find_goes_to_the_identifier_search() -> None:
    searchset = {"resourceType": "Bundle", "entry": [{"resource": _patient("QUAL")}]}
    status, asked = _ask({"/fhir/Patient": httpx.Response(200, json=searchset)}, NIR)
    assert status == "QUAL"
    assert asked == [f"/fhir/Patient/{INS}", f"/fhir/Patient?identifier={NIR.replace(':', '%3A')}%7C{INS}"]


def test_an_ins_of_another_system_is_left_to_the_search() -> None:
    empty = {"resourceType": "Bundle", "entry": []}
    status, asked = _ask(
        {
            f"/fhir/Patient/{INS}": httpx.Response(200, json=_patient("QUAL", system=NIA)),
            "/fhir/Patient": httpx.Response(200, json=empty),
        },
        NIR,
    )
    assert status is None
    assert len(asked) == 2 and asked[1].startswith("/fhir/Patient?identifier=")
