"""In-process DMP app for rule-level tests: real routes and database, a stub INS peer built from the
fixed test data, and the caller chosen per request (``X-Test-Idnat`` for a professional, nothing
else for the patient's side acting through a peer service)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from services.dmp.app import create_app
from services.kernel.errors import Unauthorized
from services.kernel.fixtures import build_fixtures
from services.kernel.settings import Settings
from services.kernel.tokens import (
    Caller,
    ServiceCaller,
    require_professional,
    require_professional_or_service,
)

RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"


def ins_answer(settings: Settings, identifier: str) -> dict[str, Any]:
    """What the INS service answers for ``identifier``: the fixture patient with its identity status."""
    value = identifier.split("|")[-1]
    patient = build_fixtures(settings).patient(value)
    entries = []
    if patient is not None:
        entries.append(
            {
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": f"urn:oid:{patient.oid}", "value": patient.ins}],
                    "extension": [
                        {
                            "url": RELIABILITY,
                            "extension": [
                                {"url": "identityStatus", "valueCoding": {"code": patient.identity_status}}
                            ],
                        }
                    ],
                }
            }
        )
    return {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}


def ins_exchange(settings: Settings, request: httpx.Request) -> httpx.Response:
    """The INS service's answer: a searchset for ``Patient?identifier=``, the Patient (or 404) for a read."""
    path = request.url.path.removeprefix("/ins")
    if path == "/fhir/Patient":
        return httpx.Response(200, json=ins_answer(settings, request.url.params["identifier"]))
    found = ins_answer(settings, path.removeprefix("/fhir/Patient/"))["entry"]
    if not found:
        return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})
    return httpx.Response(200, json=found[0]["resource"])


def fake_caller(settings: Settings):  # type: ignore[no-untyped-def]
    fixtures = build_fixtures(settings)

    async def professional(request: Request) -> Caller:
        idnat = request.headers.get("x-test-idnat")
        found = fixtures.professional(idnat or "")
        if found is None:
            raise Unauthorized("a Pro Santé Connect access token is required")
        return Caller(
            idnat=found.idnat,
            sub=found.sub,
            client_id="test-lps",
            profession=found.profession,
            roles=(),
            organisation_id="",
            organisation_name="",
            sector="",
            given_name=found.given_name,
            family_name=found.family_name,
            auth_mode="",
            claims={},
            userinfo={},
        )

    async def professional_or_service(request: Request) -> Caller | ServiceCaller:
        if "x-test-idnat" in request.headers:
            return await professional(request)
        return ServiceCaller("mes")

    return professional, professional_or_service


@contextmanager
def dmp_client(data_dir: Path, database_url: str | None = None) -> Iterator[TestClient]:
    """The DMP app alone, its INS peer stubbed from the fixtures, callers chosen per request."""
    settings = Settings(service="dmp", data_dir=data_dir, database_url=database_url)
    app = create_app(settings)
    app.state.peers.attach(httpx.MockTransport(lambda request: ins_exchange(settings, request)))
    professional, either = fake_caller(settings)
    app.dependency_overrides[require_professional] = professional
    app.dependency_overrides[require_professional_or_service] = either
    with TestClient(app) as client:
        yield client


@pytest.fixture
def dmp(tmp_path: Path) -> Iterator[TestClient]:
    with dmp_client(tmp_path) as client:
        yield client


def as_pro(idnat: str, **headers: str) -> dict[str, str]:
    return {"X-Test-Idnat": idnat, **headers}


PATIENT_SIDE: dict[str, str] = {}
"""No professional header: the stubbed internal caller, acting for the patient (X-DMP-Actor)."""
