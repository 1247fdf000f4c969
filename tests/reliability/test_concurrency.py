"""Races a real client can start: parallel publications for one patient, two replacements of one
document, concurrent refreshes of one refresh token, parallel SMTP sessions. No lost update, no
deadlock (every request has a timeout)."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

import httpx

from tests.dmp.builders import bundle
from tests.psc_login import issuer_of, login
from tests.support import RunningStack

from .conftest import MT_IDNAT, REFERENCE_INS, bearer
from .load import RECIPIENT, SENDER, find_document, find_messages

PARALLEL = 8


def post_bundle(stack: RunningStack, token: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{stack.base_url}/dmp/fhir", json=body, headers=bearer(token), timeout=60)


def test_parallel_publications_for_one_patient_are_all_stored(stack: RunningStack) -> None:
    token = login(stack.base_url, idnat=MT_IDNAT)["access_token"]
    bodies = [bundle(REFERENCE_INS, author=MT_IDNAT) for _ in range(PARALLEL)]
    with ThreadPoolExecutor(PARALLEL) as pool:
        answers = list(pool.map(lambda body: post_bundle(stack, token, body), bodies))
    assert [a.status_code for a in answers] == [200] * PARALLEL, [a.text[:200] for a in answers]
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        for body in bodies:
            key = body["entry"][1]["resource"]["masterIdentifier"]["value"]  # type: ignore[index]
            assert len(find_document(client, token, key)) == 1, key


def test_two_replacements_of_one_document_one_wins_one_conflicts(stack: RunningStack) -> None:
    token = login(stack.base_url, idnat=MT_IDNAT)["access_token"]
    first = post_bundle(stack, token, bundle(REFERENCE_INS, author=MT_IDNAT))
    assert first.status_code == 200, first.text
    old = original = first.json()["entry"][1]["response"]["location"].split("/")[1]
    for _ in range(3):  # a few rounds: the race must be lost the same way each time
        replacements = [bundle(REFERENCE_INS, author=MT_IDNAT, replaces=old) for _ in range(2)]
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda body: post_bundle(stack, token, body), replacements))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 409], [a.text[:300] for a in answers]
        winner = answers[[a.status_code for a in answers].index(200)]
        old = winner.json()["entry"][1]["response"]["location"].split("/")[1]
    read = f"{stack.base_url}/dmp/fhir/DocumentReference/"
    assert httpx.get(read + original, headers=bearer(token)).json()["status"] == "superseded"
    assert httpx.get(read + old, headers=bearer(token)).json()["status"] == "current"


def test_concurrent_refreshes_of_one_refresh_token_one_wins(stack: RunningStack) -> None:
    tokens = login(stack.base_url, idnat=MT_IDNAT)
    url = issuer_of(stack.base_url) + "/protocol/openid-connect/token"
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    auth = (tokens["client_id"], tokens["client_secret"])
    with ThreadPoolExecutor(PARALLEL) as pool:
        answers = list(pool.map(lambda _: httpx.post(url, data=form, auth=auth, timeout=60), range(PARALLEL)))
    winners = [a for a in answers if a.status_code == 200]
    assert len(winners) <= 1, "a refresh token was used twice"
    assert all(a.json()["error"] == "invalid_grant" for a in answers if a.status_code != 200)


def smtp_session(stack: RunningStack, ca_file: Path, token: str, subject: str) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=60) as client:
        client.ehlo("reliability.socle")
        client.starttls(context=ssl.create_default_context(cafile=str(ca_file)))
        client.ehlo("reliability.socle")
        blob = f"user={SENDER}\x01auth=Bearer {token}\x01\x01"
        code, _ = client.auth("XOAUTH2", lambda challenge=None: blob if challenge is None else "")
        assert code == 235
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = SENDER, RECIPIENT, subject
        message["X-MSS-NIL"] = "SOCLE-TESTS-1.0"
        message.set_content(f"Message {subject}\n")
        refused = client.send_message(message)
        assert not refused
        return client.noop()


def test_parallel_smtp_sessions_all_deliver(stack: RunningStack, tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(httpx.get(f"{stack.base_url}/mss/api/ca.pem", timeout=30).content)
    token = login(stack.base_url, idnat=MT_IDNAT)["access_token"]
    subjects = [f"parallel-{uuid.uuid4().hex}" for _ in range(PARALLEL)]
    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(lambda s: smtp_session(stack, ca_file, token, s), subjects))
    assert all(code == 250 for code, _ in results)
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        for subject in subjects:
            assert len(find_messages(client, subject)) == 1, subject
