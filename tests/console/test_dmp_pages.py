"""The DMP explorer in a real browser: the console logs in with the demo client and reads the DMP as
that professional (documents, one document and its content, versions, access history, refusals)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import Session

from services.console.models import ConsoleSession
from services.kernel.db import Database
from tests.dmp.builders import MT_IDNAT, REFERENCE_INS, bundle
from tests.psc_login import login
from tests.support import RunningStack

from .pages import wait_for, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("console-dmp")]
"""One worker per module: its tests share the module's browser and fixtures (login, stack, data)."""
OPPOSED_INS = "236066322083656"
"""TCHITCHI CATARINA BELLA: open DMP, opposed to professional access (fixtures)."""


def publish(stack: RunningStack, token: str, **kwargs: Any) -> str:
    answer = httpx.post(
        f"{stack.base_url}/dmp/fhir",
        json=bundle(**kwargs),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["entry"][1]["response"]["location"].split("/")[1])


@pytest.fixture(scope="module")
def documents(stack: RunningStack) -> dict[str, str]:
    """A document of the reference patient and its replacement, published by her médecin traitant."""
    token = login(stack.base_url, idnat=MT_IDNAT)["access_token"]
    first = publish(stack, token)
    return {"first": first, "second": publish(stack, token, replaces=first)}


@pytest.fixture(scope="module")
def logged_in(browser: WebDriver, stack: RunningStack) -> WebDriver:
    browser.get(stack.base_url + "/login")  # auto-login: the first professional, her médecin traitant
    wait_for_text(browser, "#who", MT_IDNAT)
    return browser


def test_a_patients_dmp_lists_documents_with_versions_and_access_history(
    logged_in: WebDriver, stack: RunningStack, documents: dict[str, str]
) -> None:
    logged_in.get(stack.base_url + "/dossiers")
    wait_for(logged_in, f'#dmp-patients tr[data-ins="{REFERENCE_INS}"] a').click()
    table = wait_for(logged_in, "#documents")
    first = table.find_element(By.CSS_SELECTOR, f'tr[data-id="{documents["first"]}"]')
    second = table.find_element(By.CSS_SELECTOR, f'tr[data-id="{documents["second"]}"]')
    assert "superseded" in first.text and "current" in second.text
    assert f"remplace {documents['first']}" in second.text
    assert "MARTIN-SOCLE" in second.text and "Compte rendu" in second.text
    logged_in.refresh()  # the history is read alongside the search: this view shows the previous one
    history = wait_for(logged_in, "#accesses").text
    assert "ITI-65" in history and "ITI-67" in history and "socle-demo" in history


def test_a_document_opens_with_its_metadata_and_content(
    logged_in: WebDriver, stack: RunningStack, documents: dict[str, str]
) -> None:
    logged_in.get(f"{stack.base_url}/dossiers/{REFERENCE_INS}")
    wait_for(logged_in, f'#documents tr[data-id="{documents["second"]}"] a').click()
    meta = wait_for(logged_in, "#document-meta").text
    assert "current" in meta and "MARTIN-SOCLE" in meta and documents["first"] in meta
    assert "ClinicalDocument" in wait_for(logged_in, "#document-content").text
    cookies = {c["name"]: c["value"] for c in logged_in.get_cookies()}
    download = httpx.get(
        f"{stack.base_url}/dossiers/{REFERENCE_INS}/{documents['second']}/content", cookies=cookies
    )
    assert download.status_code == 200 and b"ClinicalDocument" in download.content
    reads = httpx.get(
        f"{stack.base_url}/_sim/traffic",
        params={"service": "dmp", "client_id": "socle-demo", "path": "/dmp/fhir/Binary", "bodies": "false"},
    ).json()
    assert reads["total"] >= 1  # the content came from ITI-68, with the demo client's token


def test_the_dmp_refusal_is_shown_when_the_patient_opposed_access(
    logged_in: WebDriver, stack: RunningStack
) -> None:
    logged_in.get(f"{stack.base_url}/dossiers/{OPPOSED_INS}")
    assert "403" in wait_for(logged_in, "#dmp-refusal").text


def test_the_explorer_asks_for_a_login_first(stack: RunningStack) -> None:
    answer = httpx.get(f"{stack.base_url}/dossiers/{REFERENCE_INS}")
    assert answer.status_code == 401 and "Pro Santé Connect" in answer.text


def test_an_expired_access_token_is_refreshed_before_calling_the_dmp(
    logged_in: WebDriver, stack: RunningStack
) -> None:
    """PSC access tokens live 2 minutes; the console refreshes instead of failing the page."""
    database = Database(f"sqlite:///{stack.data_dir / 'console.db'}", [ConsoleSession])
    session_id = next(c["value"] for c in logged_in.get_cookies() if c["name"] == "socle_console")

    def expire(session: Session) -> str:
        record = session.get(ConsoleSession, session_id)
        assert record is not None
        record.access_expires = datetime.now(UTC) - timedelta(minutes=1)
        session.add(record)
        return record.access_token

    old_token = database_write(database, expire)
    token_path = "/psc/auth/realms/esante-wallet/protocol/openid-connect/token"
    params = {"caller": "console", "path": token_path, "bodies": "false"}
    before = httpx.get(f"{stack.base_url}/_sim/traffic", params=params).json()["total"]
    logged_in.get(f"{stack.base_url}/dossiers/{REFERENCE_INS}")
    wait_for(logged_in, "#documents")
    assert httpx.get(f"{stack.base_url}/_sim/traffic", params=params).json()["total"] == before + 1
    with database.reader() as session:
        record = session.get(ConsoleSession, session_id)
        assert record is not None and record.access_token != old_token
        assert record.access_expires > datetime.now(UTC)
    database.dispose()


def database_write(database: Database, work: Any) -> Any:
    with database.transaction() as session:
        return work(session)
