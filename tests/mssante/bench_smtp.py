"""SMTP throughput with a 100 KB IHE_XDM.zip: socle (STARTTLS + AUTH) against maildev (plain SMTP).

Issue 6 target: socle with STARTTLS receives at least as many messages per second as maildev without
TLS, in the same run. ``run()`` follows the ``bench/`` convention (rows with value, baseline, ratio);
``python -m tests.mssante.bench_smtp`` runs it alone. maildev comes from the npm registry
(``npm install maildev`` in a scratch folder); without node the baseline row says so.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from email import policy
from pathlib import Path
from typing import Any

import httpx

from tests.support import cpu_seconds, free_port, start_stack

from .builders import CDA, xdm_message

MESSAGES = 200
ROUNDS = 3
CLIENTS = 4
PASSWORD = "socle-test"


def _payload(sender: str, recipient: str, patient: str) -> bytes:
    padding = os.urandom(96 * 1024)
    documents = {"DOC0001.XML": CDA, "DOC0002.PDF": padding}
    mail = xdm_message(sender, [recipient], patient, "bench", documents=documents)
    return mail.as_bytes(policy=policy.SMTP)


def _send(
    host: str, port: int, count: int, data: bytes, sender: str, recipient: str, tls: ssl.SSLContext | None
) -> None:
    client = smtplib.SMTP(host, port, timeout=60)
    client.ehlo("bench")
    if tls is not None:
        client.starttls(context=tls)
        client.ehlo("bench")
        client.login(sender, PASSWORD)
    for _ in range(count):
        client.sendmail(sender, [recipient], data)
    client.quit()


def _rate(
    port: int, pid: int, data: bytes, sender: str, recipient: str, tls: ssl.SSLContext | None
) -> tuple[float, float]:
    """(messages per second, CPU milliseconds of the server process ``pid`` per message)."""
    share = MESSAGES // CLIENTS
    used = cpu_seconds(pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        for future in [
            pool.submit(_send, "127.0.0.1", port, share, data, sender, recipient, tls) for _ in range(CLIENTS)
        ]:
            future.result()
    elapsed = time.perf_counter() - started
    return share * CLIENTS / elapsed, (cpu_seconds(pid) - used) * 1000 / (share * CLIENTS)


def _maildev(port: int) -> subprocess.Popen[bytes] | None:
    folder = Path(os.environ.get("MAILDEV_DIR", "/tmp/maildev"))
    binary = folder / "node_modules" / ".bin" / "maildev"
    if not binary.exists() or not shutil.which("node"):
        return None
    process = subprocess.Popen(
        [str(binary), "--smtp", str(port), "--web", str(free_port()), "--ip", "127.0.0.1", "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=2).quit()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    return None


def run() -> list[dict[str, Any]]:
    """Both servers up at once, measured in alternating rounds so that machine load hits both alike."""
    with tempfile.TemporaryDirectory() as folder:
        stack = start_stack(Path(folder))
        port = free_port()
        maildev = _maildev(port)
        try:
            fixtures = httpx.get(stack.base_url + "/_sim/fixtures", timeout=30).json()
            ca = Path(folder) / "ca.pem"
            ca.write_bytes(httpx.get(stack.base_url + "/mss/api/ca.pem", timeout=30).content)
            tls = ssl.create_default_context(cafile=str(ca))
            sender = fixtures["organisations"][0]["mailbox"]
            recipient = fixtures["professionals"][1]["mailbox"]
            data = _payload(sender, recipient, fixtures["anchors"]["reference_patient"])
            _send("127.0.0.1", stack.smtp_port, 5, data, sender, recipient, tls)
            if maildev is not None:
                _send("127.0.0.1", port, 5, data, sender, recipient, None)
            socle, baseline = [], []
            for _ in range(ROUNDS):
                socle.append(_rate(stack.smtp_port, stack.process.pid, data, sender, recipient, tls))
                if maildev is not None:
                    baseline.append(_rate(port, maildev.pid, data, sender, recipient, None))
        finally:
            stack.stop()
            if maildev is not None:
                maildev.terminate()
                maildev.wait()
    rates = [r for r, _ in socle], [r for r, _ in baseline]
    cpus = [c for _, c in socle], [c for _, c in baseline]
    return [
        _figure(
            f"SMTP msg/s, {len(data) // 1024} KB XDM, {CLIENTS} clients, median of {ROUNDS} "
            "(socle STARTTLS+AUTH+checks+store vs maildev plain SMTP)",
            *rates,
            digits=1,
            goal=">= 1.0",
            better="higher",
        ),
        _figure(
            "SMTP server CPU ms per message in the same rounds (median; less sensitive to the "
            "machine's load than the rates)",
            *cpus,
            digits=2,
            goal="",
            better="lower",
        ),
    ]


def _figure(
    name: str, socle: list[float], baseline: list[float], *, digits: int, goal: str, better: str
) -> dict[str, Any]:
    """One result row: socle's median beside maildev's, and their ratio when maildev ran."""
    value = round(statistics.median(socle), digits)
    figure: dict[str, Any] = {"figure": name, "value": value, "goal": goal, "better": better}
    if not baseline:
        return figure | {"baseline": "maildev not installed"}
    reference = round(statistics.median(baseline), digits)
    return figure | {"baseline": reference, "ratio": round(value / reference, 2)}


if __name__ == "__main__":
    for result in run():
        print(result)
    sys.exit(0)
