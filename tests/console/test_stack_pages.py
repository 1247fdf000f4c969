"""Status, test data, traffic and fault pages, in a real browser against a real ``socle up``."""

from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.support import RunningStack

from .pages import texts, wait_for, wait_for_text

pytestmark = pytest.mark.browser


def test_status_lists_every_service_ready_and_the_urls_to_paste(
    browser: WebDriver, stack: RunningStack
) -> None:
    browser.get(stack.base_url + "/")
    assert wait_for(browser, "#overall").text.startswith("Prêt")
    rows = {
        row.get_attribute("data-service"): row
        for row in browser.find_elements(By.CSS_SELECTOR, "#services tbody tr")
    }
    assert set(rows) == {"prosanteconnect", "annuaire", "ins", "dmp", "mssante"}
    assert all("ready" in row.text for row in rows.values())
    endpoints = texts(browser, "#endpoints td code")
    assert f"{stack.base_url}/psc/auth/realms/esante-wallet" in endpoints
    assert f"{stack.base_url}/dmp/fhir" in endpoints
    assert f"127.0.0.1:{stack.smtp_port}" in endpoints


def test_test_data_shows_professionals_patients_and_the_demo_client(
    browser: WebDriver, stack: RunningStack
) -> None:
    fixtures = stack.client().get("/_sim/fixtures").json()
    first = fixtures["professionals"][0]
    reference = fixtures["anchors"]["reference_patient"]
    browser.get(stack.base_url + "/data")
    row = wait_for(browser, f'#professionals tr[data-idnat="{first["idnat"]}"]')
    assert "MARTIN-SOCLE" in row.text and "Médecin" in row.text and first["mailbox"] in row.text
    patient = browser.find_element(By.CSS_SELECTOR, f'#patients tr[data-ins="{reference}"]')
    assert "ADRTROIS" in patient.text and "QUAL" in patient.text and "ouvert" in patient.text
    assert "MARTIN-SOCLE" in patient.text  # her médecin traitant
    assert "socle-demo" in browser.find_element(By.ID, "clients").text
    assert f"{stack.base_url}/callback" in browser.find_element(By.ID, "clients").text


def test_traffic_filters_by_run_and_expands_an_exchange(browser: WebDriver, stack: RunningStack) -> None:
    run = f"console-{uuid.uuid4().hex[:8]}"
    with stack.client() as http:
        http.get("/annuaire/fhir/v2/metadata", headers={"X-Socle-Run": run, "ESANTE-API-KEY": "k"})
        http.get("/ins/fhir/metadata")  # another run: must be filtered out
    browser.get(stack.base_url + "/traffic")
    field = wait_for(browser, "#f-run")
    field.send_keys(run, Keys.ENTER)
    wait_for_text(browser, "#total", "1 échange")
    rows = browser.find_elements(By.CSS_SELECTOR, "#exchanges details")
    assert len(rows) == 1 and "/annuaire/fhir/v2/metadata" in rows[0].text and f"run {run}" in rows[0].text
    rows[0].find_element(By.TAG_NAME, "summary").send_keys(Keys.ENTER)  # keyboard opens it
    detail = wait_for(browser, "#exchanges .exchange-detail")
    assert f"x-socle-run: {run}" in detail.text
    assert "esante-api-key" in detail.text.lower()


def test_traffic_filter_by_service_keeps_only_that_service(browser: WebDriver, stack: RunningStack) -> None:
    with stack.client() as http:
        http.get("/ins/fhir/metadata")
        http.get("/dmp/fhir/metadata")
    browser.get(stack.base_url + "/traffic")
    Select(wait_for(browser, "#f-service")).select_by_value("dmp")
    browser.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait_for_text(browser, "#total", "échange")
    services = texts(browser, "#exchanges .service")
    assert services and set(services) == {"dmp"}


def test_an_unknown_exchange_is_a_readable_404(browser: WebDriver, stack: RunningStack) -> None:
    browser.get(stack.base_url + "/traffic/987654321")
    assert "987654321" in wait_for(browser, "#error-message").text
    assert stack.client().get("/traffic/987654321").status_code == 404


def test_a_fault_rule_added_in_the_page_makes_the_service_fail_once(
    browser: WebDriver, stack: RunningStack
) -> None:
    probe = f"/console-probe-{uuid.uuid4().hex[:6]}"
    browser.get(stack.base_url + "/faults")
    Select(wait_for(browser, "#fault-service")).select_by_value("ins")
    browser.find_element(By.ID, "fault-path").send_keys(probe)
    browser.find_element(By.ID, "fault-status").send_keys("503")
    browser.find_element(By.ID, "fault-count").send_keys("1")
    browser.find_element(By.CSS_SELECTOR, "#fault-form button").click()
    rule = wait_for_text(browser, "#rules tbody", probe)
    assert "503" in rule.text
    with stack.client() as http:
        assert http.get(f"/ins{probe}").status_code == 503
        assert http.get(f"/ins{probe}").status_code == 404  # count exhausted: served normally
    browser.get(stack.base_url + "/faults")
    assert probe not in wait_for(browser, "#rules").text


def test_fault_rules_can_be_cleared_and_bad_input_is_refused(browser: WebDriver, stack: RunningStack) -> None:
    probe = f"/console-clear-{uuid.uuid4().hex[:6]}"
    browser.get(stack.base_url + "/faults")
    wait_for(browser, "#fault-path").send_keys(probe)
    browser.find_element(By.ID, "fault-latency").clear()
    browser.find_element(By.ID, "fault-latency").send_keys("1")
    browser.find_element(By.CSS_SELECTOR, "#fault-form button").click()
    wait_for_text(browser, "#rules tbody", probe)
    browser.find_element(By.ID, "clear-faults").click()
    wait_for_text(browser, "#rules tbody", "Aucune règle")
    refused = stack.client().post("/faults", data={"service": "nowhere"})
    assert refused.status_code == 400 and "nowhere" in refused.text
    assert stack.client().get("/_sim/faults").json() == []


def test_a_cross_site_post_is_refused(stack: RunningStack) -> None:
    """Reset and faults need no session: a page of another site must not trigger them (CSRF)."""
    form = {"service": "ins", "path": "/csrf-probe", "status": "503"}
    with stack.client() as http:
        refused = http.post("/faults", data=form, headers={"Origin": "http://evil.example"})
        assert refused.status_code == 403 and "evil.example" in refused.text
        assert http.post("/reset", headers={"Origin": "http://evil.example"}).status_code == 403
        assert all(rule["path"] != "/csrf-probe" for rule in http.get("/_sim/faults").json())
        accepted = http.post("/faults", data=form, headers={"Origin": stack.base_url})
        assert accepted.status_code == 303
        http.delete("/_sim/faults")
