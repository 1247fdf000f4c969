"""The directory run alone (``socle serve annuaire``), in process: bulk seed, default pages, API keys, reset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.annuaire import bulk
from services.annuaire.app import create_app
from services.kernel.bulk import SeedPlan
from services.kernel.fhir import parse_resource
from services.kernel.settings import Settings

BULK = 60


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(service="annuaire", data_dir=tmp_path, annuaire_api_keys=["good-key"])


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    advanced: list[int] = []
    assert bulk.seed(settings, SeedPlan(professionals=BULK, seed=7), advanced.append) == 2 * BULK
    assert sum(advanced) == BULK == bulk.planned(SeedPlan(professionals=BULK))
    with TestClient(create_app(settings), headers={"ESANTE-API-KEY": "good-key"}) as test_client:
        yield test_client


def walk(client: TestClient, url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every page of a search: (bundles, matched resources)."""
    bundles, matches = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        bundle = response.json()
        bundles.append(bundle)
        matches += [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), "")
        url = url.removeprefix("http://127.0.0.1:8080")
    return bundles, matches


def test_pages_of_fifty_with_total_first_and_no_repeat(client: TestClient) -> None:
    bundles, matches = walk(client, "/fhir/v2/Practitioner")
    total = 13 + BULK
    assert bundles[0]["total"] == total
    assert [len(b.get("entry", [])) for b in bundles] == [50, total - 50]
    assert "total" not in bundles[1]
    assert len({m["id"] for m in matches}) == total
    next_link = bundles[0]["link"][1]["url"]
    assert "/fhir/v2?_getpages=" in next_link and "&_pageId=" in next_link


def test_bulk_professionals_have_mailboxes_and_valid_resources(
    client: TestClient, settings: Settings
) -> None:
    _, bulk_ones = walk(
        client, f"/fhir/v2/Practitioner?mailbox-mss:contains=@{settings.mss_domain}&_count=500"
    )
    assert len(bulk_ones) == 13 + BULK
    for resource in bulk_ones:
        parse_resource(resource, "Practitioner")
    address = next(t["value"] for t in bulk_ones[-1]["telecom"])
    response = client.get("/fhir/v2/PractitionerRole", params={"mailbox-mss": address})
    assert response.json()["total"] == 1


def test_configured_keys_restrict_access(client: TestClient) -> None:
    for key in ("", "other-key"):
        response = client.get("/fhir/v2/Organization", headers={"ESANTE-API-KEY": key})
        assert response.status_code == 401
        assert response.json()["resourceType"] == "OperationOutcome"
    token = client.app.state.runtime.internal_token  # type: ignore[attr-defined]
    internal = {"ESANTE-API-KEY": "socle-internal", "X-Socle-Internal": token}
    assert client.get("/fhir/v2/Organization", headers=internal).status_code == 200
    forged = {"ESANTE-API-KEY": "socle-internal", "X-Socle-Internal": "guess"}
    assert client.get("/fhir/v2/Organization", headers=forged).status_code == 401


def test_reset_restores_the_fixed_directory(client: TestClient) -> None:
    assert client.get("/fhir/v2/Practitioner", params={"_summary": "count"}).json()["total"] == 13 + BULK
    assert client.post("/_sim/reset", json={"services": ["annuaire"]}).status_code == 200
    response = client.get("/fhir/v2/Practitioner", params={"_summary": "count"})
    assert response.json()["total"] == 13
    assert "entry" not in response.json()
