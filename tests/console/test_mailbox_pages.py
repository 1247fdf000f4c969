"""MSSanté mailboxes in a real browser: read a message, its XDM findings and attachment, its raw source,
then send the read receipt the sender asked for and find it in the sender's mailbox."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.mssante.builders import xdm_zip
from tests.psc_login import login
from tests.support import RunningStack

from .pages import wait_for, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("console-mailbox")]
"""One worker per module: its tests share the module's browser and fixtures (login, stack, data)."""


@pytest.fixture(scope="module")
def sent(stack: RunningStack) -> dict[str, Any]:
    """A document message from the first professional to a colleague, with layout and header problems."""
    fixtures = httpx.get(f"{stack.base_url}/_sim/fixtures").json()
    doctor, colleague = fixtures["professionals"][0], fixtures["professionals"][1]
    reference = fixtures["anchors"]["reference_patient"]
    tag = uuid.uuid4().hex[:8]
    body = {
        "from": doctor["mailbox"],
        "to": [colleague["mailbox"]],
        "subject": f"XDM/1.0/DDM+Compte rendu {tag}",
        "text": "Bonjour,\nci-joint le compte rendu.",
        "headers": {
            "X-MSS-INS": "O",
            "X-MSS-CODECDA": "11488-4",
            "Disposition-Notification-To": doctor["mailbox"],
        },
        "attachments": [
            {
                "filename": "IHE_XDM.zip",
                "content_type": "application/zip",
                "content_base64": base64.b64encode(xdm_zip(reference, skip=("README.TXT",))).decode(),
            }
        ],
    }  # no X-MSS-NIL and no README.TXT: two findings
    token = login(stack.base_url, idnat=doctor["idnat"])["access_token"]
    answer = httpx.post(
        f"{stack.base_url}/mss/api/send", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert answer.status_code == 201, answer.text
    return {"doctor": doctor, "colleague": colleague, "tag": tag, "patient": reference}


def test_read_a_message_with_its_xdm_findings_attachment_and_source(
    browser: WebDriver, stack: RunningStack, sent: dict[str, Any]
) -> None:
    colleague = sent["colleague"]
    browser.get(f"{stack.base_url}/login?login_hint={colleague['idnat']}")
    wait_for_text(browser, "#who", colleague["idnat"])
    browser.get(stack.base_url + "/messagerie")
    wait_for(browser, f'#my-mailboxes a[href="/messagerie/{colleague["mailbox"]}"]').click()
    row = wait_for_text(browser, "#messages", sent["tag"]).find_element(
        By.XPATH, f'.//tr[contains(., "{sent["tag"]}")]'
    )
    assert "constat" in row.text and sent["patient"] in row.text
    row.find_element(By.TAG_NAME, "a").click()
    findings = wait_for(browser, "#findings").text
    assert "xdm.layout.missing" in findings and "mss.header.nil" in findings
    assert "IHE_XDM.zip" in browser.find_element(By.ID, "attachments").text
    assert "ci-joint le compte rendu" in browser.find_element(By.ID, "text").text
    browser.find_element(By.CSS_SELECTOR, "#raw summary").click()
    assert "Disposition-Notification-To" in wait_for(browser, "#raw pre").text
    link = browser.find_element(By.CSS_SELECTOR, "#attachments a").get_attribute("href")
    archive = httpx.get(link, timeout=30)
    assert archive.status_code == 200 and archive.content[:2] == b"PK"


def test_send_the_read_receipt_and_find_it_in_the_senders_mailbox(
    browser: WebDriver, stack: RunningStack, sent: dict[str, Any]
) -> None:
    colleague, doctor = sent["colleague"], sent["doctor"]
    browser.get(f"{stack.base_url}/login?login_hint={colleague['idnat']}")
    wait_for_text(browser, "#who", colleague["idnat"])
    browser.get(f"{stack.base_url}/messagerie/{colleague['mailbox']}")
    wait_for_text(browser, "#messages", sent["tag"]).find_element(
        By.XPATH, f'.//tr[contains(., "{sent["tag"]}")]//a'
    ).click()
    wait_for(browser, "#mdn-form button").click()
    wait_for(browser, "#receipt-sent")
    browser.get(f"{stack.base_url}/messagerie/{doctor['mailbox']}?kind=mdn")
    receipt = wait_for_text(browser, "#messages", sent["tag"])
    assert "mdn" in receipt.text


def test_an_unknown_message_or_mailbox_is_a_readable_404(stack: RunningStack) -> None:
    assert httpx.get(f"{stack.base_url}/messagerie/messages/987654321").status_code == 404
    assert httpx.get(f"{stack.base_url}/messagerie/nobody@socle.mssante.fr").status_code == 404
