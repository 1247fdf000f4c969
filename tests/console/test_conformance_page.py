"""Start a conformance run from the console and read its report, in a real browser."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.support import RunningStack

from .pages import wait_for, wait_for_url, wait_until_text_lacks

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("console-conformance")]
"""One worker per module: its tests share the module's browser and fixtures (login, stack, data)."""
RUN_SECONDS = 240
"""Generous: a run is a few seconds, but CI runs every test folder at once on two cores."""


def test_a_run_started_in_the_page_ends_with_its_report_and_evidence(
    browser: WebDriver, stack: RunningStack
) -> None:
    browser.get(stack.base_url + "/conformance")
    wait_for(browser, 'input[name="scenario"][value="psc-login"]').click()
    browser.find_element(By.ID, "start-run").click()
    run_url = wait_for_url(browser, "/conformance/console-")
    run_id = run_url.rsplit("/", 1)[-1]
    status = wait_until_text_lacks(browser, "run-status", "running", RUN_SECONDS)
    assert any(word in status for word in ("passed", "failed")), status
    requirements = browser.find_elements(By.CSS_SELECTOR, "#requirements tbody tr")
    assert requirements and browser.find_element(By.CSS_SELECTOR, '[data-requirement="PSC-FLOW-01"]')
    assert browser.find_elements(By.CSS_SELECTOR, "#checks tbody tr")
    browser.find_element(By.ID, "html-report").click()
    wait_for_url(browser, f"/conformance/{run_id}/report.html")
    assert "PSC-FLOW-01" in browser.page_source
    report = stack.client().get(f"/conformance/{run_id}/run.json").json()
    assert report["profile"] == "lgc" and report["driver"] == "reference"
    assert [s["id"] for s in report["scenarios"]] == ["psc-login"]
    browser.get(stack.base_url + "/conformance")
    assert run_id in wait_for(browser, "#runs").text


def test_an_unknown_profile_or_mutant_is_refused(stack: RunningStack) -> None:
    with stack.client() as http:
        assert http.post("/conformance", data={"profile": "nope"}).status_code == 400
        assert http.post("/conformance", data={"scenario": "no-such-scenario"}).status_code == 400
        refused = http.post("/conformance", data={"profile": "lgc", "mutant": "rm -rf /"})
        assert refused.status_code == 400 and "mutant" in refused.text
        assert http.post("/conformance", data={"mutant": "no-such-mutant"}).status_code == 400
        assert http.get("/conformance/console-000000000000").status_code == 404
        assert http.get("/conformance/console-000000000000/report.html").status_code == 404


def test_a_broken_client_shows_as_failed_with_the_requirement_it_breaks(
    browser: WebDriver, stack: RunningStack
) -> None:
    browser.get(stack.base_url + "/conformance")
    wait_for(browser, 'input[name="scenario"][value="psc-login"]').click()
    Select(browser.find_element(By.ID, "run-mutant")).select_by_value("no-pkce")
    browser.find_element(By.ID, "start-run").click()
    wait_for_url(browser, "/conformance/console-")
    assert "failed" in wait_until_text_lacks(browser, "run-status", "running", RUN_SECONDS)
    failing = [
        row.get_attribute("data-requirement")
        for row in browser.find_elements(By.CSS_SELECTOR, "#requirements tbody tr")
        if "fail" in row.text
    ]
    assert failing, "the mutant without PKCE must fail some requirement"
