"""MSSanté: SMTP messages/s with STARTTLS and a 100 KB XDM against maildev, then the IMAP fetch rate.

The SMTP figures are the MSSanté engineer's ``tests/mssante/bench_smtp.py`` (alternating rounds, real
smtplib clients, socle with STARTTLS + AUTH against maildev in plain SMTP), given the maildev of
``bench/node``: the rate, and the CPU each server process spent per message in the same rounds. The IMAP figure delivers the same messages, then one imaplib client after STARTTLS
and LOGIN fetches each whole message (``UID FETCH BODY.PEEK[]``); maildev has no IMAP, so its
baseline is the SMTP delivery rate of the same messages in the same run (reading back should not
be slower than writing).
"""

from __future__ import annotations

import imaplib
import os
import ssl
import tempfile
import time
from pathlib import Path

import httpx

from bench.harness import NODE_DIR, node_tool, row
from tests.mssante import bench_smtp
from tests.support import start_stack

MESSAGES = 100


def _imap(folder: Path) -> tuple[float, float, float]:
    """(messages fetched per second, MB/s, messages delivered per second) on a fresh stack."""
    stack = start_stack(folder)
    try:
        fixtures = httpx.get(stack.base_url + "/_sim/fixtures", timeout=30).json()
        ca = folder / "ca.pem"
        ca.write_bytes(httpx.get(stack.base_url + "/mss/api/ca.pem", timeout=30).content)
        tls = ssl.create_default_context(cafile=str(ca))
        sender = fixtures["organisations"][0]["mailbox"]
        recipient = fixtures["professionals"][1]["mailbox"]
        data = bench_smtp._payload(sender, recipient, fixtures["anchors"]["reference_patient"])
        started = time.perf_counter()
        bench_smtp._send("127.0.0.1", stack.smtp_port, MESSAGES, data, sender, recipient, tls)
        delivered = MESSAGES / (time.perf_counter() - started)
        client = imaplib.IMAP4("127.0.0.1", stack.imap_port, timeout=60)
        client.starttls(ssl_context=tls)
        client.login(recipient, bench_smtp.PASSWORD)
        client.select("INBOX", readonly=True)
        uids = client.uid("SEARCH", "ALL")[1][0].split()
        fetched = 0
        started = time.perf_counter()
        for uid in uids:
            status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            if status != "OK":
                raise RuntimeError(f"IMAP FETCH {uid!r}: {parts!r}")
            fetched += len(parts[0][1])
        elapsed = time.perf_counter() - started
        client.logout()
    finally:
        stack.stop()
    return len(uids) / elapsed, fetched / elapsed / 1e6, delivered


def run() -> list[dict[str, object]]:
    if node_tool("maildev") is not None:
        os.environ["MAILDEV_DIR"] = str(NODE_DIR)
    rows: list[dict[str, object]] = bench_smtp.run()
    with tempfile.TemporaryDirectory() as folder:
        rate, megabytes, delivered = _imap(Path(folder))
    rows += [
        row(
            "IMAP whole-message fetches/s, 100 KB XDM, one client (STARTTLS)",
            rate,
            delivered,
            "socle SMTP deliveries/s of the same messages, one client",
        ),
        row("IMAP fetch MB/s", megabytes, None, "no IMAP in maildev:"),
    ]
    return rows
