"""Real mail programs against the operator: msmtp (STARTTLS + XOAUTH2) and swaks (STARTTLS + PLAIN)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.support import require_tool

from .builders import message, xdm_message
from .conftest import TEST_PASSWORD, Mss


def test_msmtp_sends_an_xdm_document_with_xoauth2(
    mss: Mss, doctor: dict[str, Any], tmp_path: Path, tag: str
) -> None:
    msmtp = require_tool("msmtp")
    reference = mss.fixtures["anchors"]["reference_patient"]
    colleague = mss.professional(1)["mailbox"]
    token_file = tmp_path / "token"
    token_file.write_text(doctor["token"])
    config = tmp_path / "msmtprc"
    config.write_text(
        "defaults\ntls on\ntls_starttls on\n"
        f"tls_trust_file {mss.ca_file}\n"
        "account mss\nhost 127.0.0.1\n"
        f"port {mss.stack.smtp_port}\nfrom {doctor['mailbox']}\nauth xoauth2\nuser {doctor['mailbox']}\n"
        f"passwordeval cat {token_file}\n"
    )
    config.chmod(0o600)
    mail = xdm_message(doctor["mailbox"], [colleague], reference, tag)
    done = subprocess.run(
        [msmtp, "-C", str(config), "-a", "mss", colleague],
        input=mail.as_bytes(),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    [stored] = mss.messages(mailbox=colleague, subject=tag)
    assert stored["conformant"] is True, stored["findings"]
    assert stored["patient_ins"] == reference


def test_msmtp_with_a_bad_token_is_refused(
    mss: Mss, doctor: dict[str, Any], tmp_path: Path, tag: str
) -> None:
    msmtp = require_tool("msmtp")
    config = tmp_path / "msmtprc"
    config.write_text(
        f"account mss\nhost 127.0.0.1\nport {mss.stack.smtp_port}\ntls on\ntls_starttls on\n"
        f"tls_trust_file {mss.ca_file}\nfrom {doctor['mailbox']}\nauth xoauth2\nuser {doctor['mailbox']}\n"
        "password not-a-token\n"
    )
    config.chmod(0o600)
    done = subprocess.run(
        [msmtp, "-C", str(config), "-a", "mss", mss.professional(1)["mailbox"]],
        input=f"Subject: {tag}\n\nx\n".encode(),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert b"535" in done.stderr or b"authentication failed" in done.stderr.lower()
    assert mss.messages(subject=tag) == []


def test_swaks_sends_with_starttls_and_plain_on_a_test_account(mss: Mss, tag: str) -> None:
    swaks = require_tool("swaks")
    box = mss.organisation("cabinet")["mailbox"]
    colleague = mss.professional(3)["mailbox"]
    done = subprocess.run(
        [
            swaks,
            "--server",
            f"127.0.0.1:{mss.stack.smtp_port}",
            "--tls",
            "--tls-verify",
            "--tls-ca-path",
            str(mss.ca_file),
            "--auth",
            "PLAIN",
            "--auth-user",
            box,
            "--auth-password",
            TEST_PASSWORD,
            "--from",
            box,
            "--to",
            colleague,
            "--header",
            f"Subject: Swaks {tag}",
            "--header",
            "X-MSS-NIL: SWAKS-TEST",
            "--body",
            "Message de test envoyé par swaks",
        ],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout.decode()[-2000:]
    assert b"250 2.0.0" in done.stdout
    [stored] = mss.messages(mailbox=colleague, subject=tag)
    assert stored["from"] == box and stored["conformant"] is True


def test_curl_reads_the_inbox_over_imap_with_starttls_and_xoauth2(mss: Mss, tmp_path: Path, tag: str) -> None:
    """curl as a second real IMAP client: STARTTLS required, SASL XOAUTH2 from ``--oauth2-bearer``."""
    curl = require_tool("curl")
    doctor, colleague = mss.professional(0), mss.professional(1)
    client = mss.smtp()
    client.login(doctor["mailbox"], TEST_PASSWORD)
    client.send_message(message(doctor["mailbox"], [colleague["mailbox"]], f"Pour curl {tag}"))
    client.quit()
    token = mss.token(colleague["idnat"])
    base = f"imap://127.0.0.1:{mss.stack.imap_port}/INBOX"
    common = [
        curl,
        "--silent",
        "--show-error",
        "--ssl-reqd",
        "--cacert",
        str(mss.ca_file),
        "--user",
        f"{colleague['mailbox']}:",
        "--oauth2-bearer",
        token,
    ]
    search = subprocess.run(
        [*common, base, "--request", f'UID SEARCH SUBJECT "{tag}"'], capture_output=True, timeout=60
    )
    assert search.returncode == 0, search.stderr.decode()
    [uid] = search.stdout.decode().split("SEARCH", 1)[1].split()
    fetched = subprocess.run([*common, f"{base};UID={uid}"], capture_output=True, timeout=60)
    assert fetched.returncode == 0, fetched.stderr.decode()
    assert f"Subject: Pour curl {tag}".encode() in fetched.stdout
    refused = subprocess.run([*common[:-1], "not-a-token", base], capture_output=True, timeout=60)
    assert refused.returncode != 0
