"""Log in to the console as a test professional: through the PSC login page, and by e-CPS (CIBA).

These need the interactive PSC page, so they run against a stack of their own started without
``--psc-auto-login``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.support import RunningStack, start_stack

from .pages import wait_for, wait_for_text, wait_for_url

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("console-login")]
"""One worker per module: its tests share the module's browser and fixtures (login, stack, data)."""


@pytest.fixture(scope="module")
def interactive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(Path(tmp_path_factory.mktemp("interactive-stack")), auto_login=False)
    yield running
    running.stop()


def _log_out(browser: WebDriver, base_url: str) -> None:
    browser.get(base_url + "/")
    buttons = browser.find_elements(By.CSS_SELECTOR, ".who form button")
    if buttons:
        buttons[0].click()
        wait_for_url(browser, base_url)
    browser.delete_all_cookies()


def test_log_in_through_the_psc_page_with_the_code_flow(
    browser: WebDriver, interactive: RunningStack
) -> None:
    fixtures = interactive.client().get("/_sim/fixtures").json()
    pharmacist = next(p for p in fixtures["professionals"] if p["profession"] == "21")
    browser.get(interactive.base_url + "/")
    wait_for(browser, ".who a.button").click()
    wait_for_url(browser, "/psc/auth/realms/esante-wallet/protocol/openid-connect/auth")
    assert "code_challenge_method=S256" in browser.current_url
    wait_for(browser, f'input[name="idnat"][value="{pharmacist["idnat"]}"]').click()
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    who = wait_for_text(browser, "#who", pharmacist["family_name"])
    assert who.get_attribute("data-idnat") == pharmacist["idnat"]
    assert browser.current_url.rstrip("/") == interactive.base_url
    console_calls = interactive.client().get(
        "/_sim/traffic", params={"service": "prosanteconnect", "caller": "console", "bodies": "false"}
    )
    paths = [x["path"] for x in console_calls.json()["exchanges"]]
    assert any(p.endswith("/protocol/openid-connect/token") for p in paths)  # the code, exchanged server-side
    _log_out(browser, interactive.base_url)
    assert not browser.find_elements(By.ID, "who")


def test_a_replayed_callback_is_refused(browser: WebDriver, interactive: RunningStack) -> None:
    browser.get(interactive.base_url + "/callback?state=forged&code=whatever")
    assert "state" in wait_for(browser, "#error-message").text
    assert interactive.client().get("/callback", params={"state": "forged", "code": "x"}).status_code == 400


def test_log_in_by_approving_an_ecps_request(browser: WebDriver, interactive: RunningStack) -> None:
    fixtures = interactive.client().get("/_sim/fixtures").json()
    nurse = next(p for p in fixtures["professionals"] if p["profession"] == "60")
    _log_out(browser, interactive.base_url)
    browser.get(interactive.base_url + "/ciba")
    Select(wait_for(browser, "#login_hint")).select_by_value(nurse["idnat"])
    browser.find_element(By.CSS_SELECTOR, "#ciba-form button").click()
    binding = wait_for(browser, "#binding-message").text
    assert len(binding) == 2 and binding.isdigit()
    console_tab = browser.current_window_handle
    ecps_url = browser.find_element(By.ID, "ecps-link").get_attribute("href")
    browser.switch_to.new_window("tab")
    browser.get(ecps_url)
    assert binding in wait_for(browser, ".binding").text
    browser.find_element(By.CSS_SELECTOR, 'button[value="approve"]').click()
    wait_for(browser, "h1")
    browser.close()
    browser.switch_to.window(console_tab)
    who = wait_for_text(browser, "#who", nurse["family_name"])
    assert who.get_attribute("data-idnat") == nurse["idnat"]
    _log_out(browser, interactive.base_url)


def test_a_refused_ecps_request_logs_nobody_in(browser: WebDriver, interactive: RunningStack) -> None:
    fixtures = interactive.client().get("/_sim/fixtures").json()
    midwife = next(p for p in fixtures["professionals"] if p["profession"] == "50")
    _log_out(browser, interactive.base_url)
    browser.get(interactive.base_url + "/ciba")
    Select(wait_for(browser, "#login_hint")).select_by_value(midwife["idnat"])
    browser.find_element(By.CSS_SELECTOR, "#ciba-form button").click()
    console_tab = browser.current_window_handle
    ecps_url = wait_for(browser, "#ecps-link").get_attribute("href")
    browser.switch_to.new_window("tab")
    browser.get(ecps_url)
    wait_for(browser, 'button[value="deny"]').click()
    wait_for(browser, "h1")
    browser.close()
    browser.switch_to.window(console_tab)
    assert "refusée" in wait_for_text(browser, "#ciba-status", "refusée").text
    assert not browser.find_elements(By.ID, "who")


def test_reset_from_the_status_page_empties_the_traffic_and_keeps_the_test_data(
    browser: WebDriver, interactive: RunningStack
) -> None:
    with interactive.client() as http:
        http.get("/ins/fhir/metadata")
        assert http.get("/_sim/traffic", params={"bodies": "false"}).json()["total"] > 0
        browser.get(interactive.base_url + "/")
        wait_for(browser, "#reset").click()
        wait_for(browser, "#overall")
        assert http.get("/_sim/traffic", params={"bodies": "false"}).json()["total"] == 0
    browser.get(interactive.base_url + "/login")  # the demo client and the professionals are seeded again
    wait_for(browser, 'input[name="idnat"]')
