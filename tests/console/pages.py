"""Small helpers for driving console pages: wait for what a user waits for, never for a fixed time."""

from __future__ import annotations

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 30


def wait_for(browser: WebDriver, css: str) -> WebElement:
    return WebDriverWait(browser, WAIT_SECONDS).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, css))
    )


def wait_for_text(browser: WebDriver, css: str, text: str) -> WebElement:
    """Wait through a page load: Chrome may report a node of the page being replaced as not belonging
    to the document (a WebDriverException, not a stale reference), so every driver error means "not yet"."""

    def shown(driver: WebDriver) -> WebElement | bool:
        element = driver.find_element(By.CSS_SELECTOR, css)
        return element if text in element.text else False

    waiting = WebDriverWait(browser, WAIT_SECONDS, ignored_exceptions=(WebDriverException,))
    return waiting.until(shown)  # type: ignore[no-any-return]


def wait_for_url(browser: WebDriver, fragment: str) -> str:
    WebDriverWait(browser, WAIT_SECONDS).until(ec.url_contains(fragment))
    return browser.current_url


def texts(browser: WebDriver, css: str) -> list[str]:
    return [element.text for element in browser.find_elements(By.CSS_SELECTOR, css)]


def wait_until_text_lacks(browser: WebDriver, element_id: str, text: str, seconds: float) -> str:
    """Wait while a self-refreshing page still shows ``text`` (elements vanish at each reload)."""

    def settled(driver: WebDriver) -> str | bool:
        shown = str(driver.find_element(By.ID, element_id).text)
        return shown if text not in shown else False

    wait = WebDriverWait(browser, seconds, ignored_exceptions=(WebDriverException,))
    return str(wait.until(settled))
