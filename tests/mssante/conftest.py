"""Fixtures of the MSSanté tests: the shared stack, its test CA, PSC tokens, SMTP/IMAP sessions."""

from __future__ import annotations

import imaplib
import smtplib
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.psc_login import login
from tests.support import RunningStack

TEST_PASSWORD = "socle-test"


@dataclass
class Mss:
    stack: RunningStack
    ca_file: Path
    fixtures: dict[str, Any]

    @property
    def api(self) -> str:
        return self.stack.base_url + "/mss/api"

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def professional(self, index: int) -> dict[str, Any]:
        return dict(self.fixtures["professionals"][index])

    def organisation(self, key: str) -> dict[str, Any]:
        return next(o for o in self.fixtures["organisations"] if o["key"] == key)

    def patient(self, name: str, status: str = "QUAL") -> dict[str, Any]:
        return next(
            p for p in self.fixtures["patients"] if p["birth_name"] == name and p["identity_status"] == status
        )

    def token(self, idnat: str) -> str:
        return str(login(self.stack.base_url, idnat=idnat)["access_token"])

    def smtp(self) -> smtplib.SMTP:
        """A session after EHLO + STARTTLS (verified against the test CA) + EHLO."""
        client = smtplib.SMTP("127.0.0.1", self.stack.smtp_port, timeout=30)
        client.ehlo("tests.socle")
        client.starttls(context=self.tls())
        client.ehlo("tests.socle")
        return client

    def imap(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.stack.imap_port, timeout=30)
        client.starttls(ssl_context=self.tls())
        return client

    def messages(self, **params: Any) -> list[dict[str, Any]]:
        response = httpx.get(self.api + "/messages", params=params, timeout=30)
        response.raise_for_status()
        return list(response.json()["messages"])


def xoauth2(client: smtplib.SMTP, address: str, token: str) -> tuple[int, bytes]:
    """SMTP AUTH XOAUTH2 as Gmail-style clients send it (initial response, empty answer to an error)."""
    blob = f"user={address}\x01auth=Bearer {token}\x01\x01"
    return client.auth(
        "XOAUTH2", lambda challenge=None: blob if challenge is None else "", initial_response_ok=True
    )


@pytest.fixture(scope="session")
def mss(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Mss:
    ca = httpx.get(stack.base_url + "/mss/api/ca.pem", timeout=30)
    ca.raise_for_status()
    ca_file = tmp_path_factory.mktemp("mss") / "ca.pem"
    ca_file.write_bytes(ca.content)
    fixtures = httpx.get(stack.base_url + "/_sim/fixtures", timeout=30).json()
    return Mss(stack, ca_file, fixtures)


@pytest.fixture
def tag() -> str:
    """A word no other test uses, to find this test's messages."""
    return uuid.uuid4().hex[:12]


@pytest.fixture
def doctor(mss: Mss) -> dict[str, Any]:
    """The first professional (médecin généraliste), logged in: her box and a PSC token."""
    professional = mss.professional(0)
    tokens = login(mss.stack.base_url, idnat=professional["idnat"])
    return professional | {"token": tokens["access_token"], "client_id": tokens["client_id"]}


@pytest.fixture
def sender(mss: Mss, doctor: dict[str, Any]) -> Iterator[smtplib.SMTP]:
    """An SMTP session authenticated with XOAUTH2 as the first professional."""
    client = mss.smtp()
    code, _ = xoauth2(client, doctor["mailbox"], doctor["token"])
    assert code == 235
    yield client
    client.quit()
