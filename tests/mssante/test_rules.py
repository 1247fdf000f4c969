"""Operator rules that depend on settings the shared stack does not use: strict mode, quotas,
allowed PSC clients, archive bounds. Run against the real delivery and authenticator code with a
SQLite database of their own; only the peers (directory, PSC) are replaced by fixed answers."""

from __future__ import annotations

import asyncio
import io
import zipfile
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from services.kernel.db import Database
from services.kernel.errors import Unauthorized
from services.mssante import mailboxes, store
from services.mssante.addresses import parse
from services.mssante.auth import Authenticator, AuthFailed
from services.mssante.delivery import Delivery, Submission
from services.mssante.directory import Listing, PatientIdentity
from services.mssante.findings import Refusal
from services.mssante.models import Mailbox, Message
from services.mssante.settings import MssSettings
from services.mssante.xdm import ZipLimits, check_xdm

from .builders import message, xdm_zip

DOCTOR = "julie.martin-socle@socle.mssante.fr"
COLLEAGUE = "paul.duroc@socle.mssante.fr"
REFERENCE = "297022A02077878"


class Directory:
    """The Annuaire and INS answers for the two boxes and the reference patient."""

    async def patient(self, ins: str) -> Any:
        return PatientIdentity(ins, "QUAL", "ADRTROIS") if ins == REFERENCE else None

    async def mailbox(self, address: str) -> Any:
        return Listing(address, "PER", "8" + address[:3], address)


def _settings(tmp_path: Path, **values: Any) -> MssSettings:
    return MssSettings(service="mssante", data_dir=tmp_path, **values)


def _database(settings: MssSettings) -> Database:
    database = Database(settings.database_for(), [Mailbox, Message])
    database.create_tables()
    mailboxes.seed(
        database,
        [mailboxes.BoxSpec(a, "PER", "8" + a[:3], ("8" + a[:3],), a) for a in (DOCTOR, COLLEAGUE)],
    )
    return database


def _submit(settings: MssSettings, database: Database, raw: bytes) -> Any:
    delivery = Delivery(settings, database, Directory())  # type: ignore[arg-type]
    with database.reader() as session:
        sender, colleague = store.mailbox(session, address=DOCTOR), store.mailbox(session, address=COLLEAGUE)
    submission = Submission(DOCTOR, [colleague], raw, "tests", "127.0.0.1", DOCTOR, sender)  # type: ignore[list-item]
    return asyncio.run(delivery.submit(submission))


def _document(**options: Any) -> bytes:
    mail = message(
        DOCTOR,
        [COLLEAGUE],
        "XDM/1.0/DDM+CR",
        xdm=xdm_zip(REFERENCE, **options),
        headers={"X-MSS-INS": "O", "X-MSS-CODECDA": "11488-4"},
    )
    return mail.as_bytes(policy=policy.SMTP)


def test_strict_mode_refuses_what_lenient_mode_delivers_with_findings(tmp_path: Path) -> None:
    raw = _document(skip=("INDEX.HTM",))
    lenient = _settings(tmp_path / "lenient")
    outcome = _submit(lenient, _database(lenient), raw)
    assert [f.code for f in outcome.findings] == ["xdm.layout.missing"]
    strict = _settings(tmp_path / "strict", mss_strict=True)
    database = _database(strict)
    with pytest.raises(Refusal) as refused:
        _submit(strict, database, raw)
    assert refused.value.reply.startswith("554 5.6.0") and "INDEX.HTM" in refused.value.reply
    with database.reader() as session:
        assert store.search(session)[0] == 0
    assert _submit(strict, database, _document()).findings == []


def test_a_full_mailbox_is_refused_and_nothing_is_half_stored(tmp_path: Path) -> None:
    settings = _settings(tmp_path, mss_mailbox_quota_bytes=len(_document()) * 2)
    database = _database(settings)
    _submit(settings, database, _document())
    with pytest.raises(Refusal) as refused:
        _submit(settings, database, _document())
    assert refused.value.reply.startswith("552 5.2.2")
    with database.reader() as session:
        total, _ = store.search(session, mailbox=COLLEAGUE)
        box = store.mailbox(session, address=COLLEAGUE)
    assert total == 1 and box is not None and box.used_bytes > 0
    with database.transaction() as session:
        store.purge(session, mailbox=COLLEAGUE)
    with database.reader() as session:
        assert store.mailbox(session, address=COLLEAGUE).used_bytes == 0  # type: ignore[union-attr]


class Verifier:
    def __init__(self, client_id: str) -> None:
        self.client_id = client_id

    async def caller(self, token: str) -> Any:
        if token != "good":
            raise Unauthorized("invalid access token: expired")
        return type("Caller", (), {"idnat": "8jul", "client_id": self.client_id, "claims": {"exp": 4e9}})()


def _authenticator(tmp_path: Path, client_id: str, **values: Any) -> Authenticator:
    settings = _settings(tmp_path, **values)
    resolver = mailboxes.Resolver(settings, _database(settings), peers=None)
    resolver.directory = Directory()  # type: ignore[assignment]
    authenticator = Authenticator.__new__(Authenticator)
    authenticator.settings, authenticator.resolver = settings, resolver
    authenticator.verifier = Verifier(client_id)  # type: ignore[assignment]
    return authenticator


def test_tokens_of_clients_outside_the_allowed_list_are_refused(tmp_path: Path) -> None:
    allowed = _authenticator(tmp_path / "a", "lps-vendor", mss_psc_clients=["lps-vendor"])
    assert asyncio.run(allowed.xoauth2(DOCTOR, "good")).idnat == "8jul"
    other = _authenticator(tmp_path / "b", "another-client", mss_psc_clients=["lps-vendor"])
    with pytest.raises(AuthFailed, match="another-client"):
        asyncio.run(other.xoauth2(DOCTOR, "good"))
    with pytest.raises(AuthFailed, match="expired"):
        asyncio.run(allowed.xoauth2(DOCTOR, "stale"))


def test_password_login_can_be_switched_off(tmp_path: Path) -> None:
    closed = _authenticator(tmp_path, "x", mss_test_accounts=False)
    with pytest.raises(AuthFailed, match="disabled"):
        asyncio.run(closed.password(DOCTOR, "socle-test"))


@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        (ZipLimits(max_total=10_000, max_ratio=1000, max_entries=100), "zip bomb"),
        (ZipLimits(max_total=10**8, max_ratio=1000, max_entries=3), "entries"),
    ],
)
def test_archive_bounds_are_configurable(limits: ZipLimits, reason: str) -> None:
    archive = xdm_zip(REFERENCE, extra={"IHE_XDM/SUBSET01/BIG.BIN": b"a" * 20_000})
    with pytest.raises(Refusal, match=reason):
        check_xdm(archive, limits)


def test_a_patient_address_keeps_the_corsican_ins_in_upper_case() -> None:
    assert parse(f"<{REFERENCE.lower()}@Patient.MSSante.fr>", "patient.mssante.fr").address == (
        f"{REFERENCE}@patient.mssante.fr"
    )
    assert parse("<Julie.Martin-Socle@SOCLE.mssante.fr>", "patient.mssante.fr").address == DOCTOR


def test_reports_keep_the_original_bytes() -> None:
    from services.mssante import receipts

    original = "From: a@socle.mssante.fr\r\nSubject: é\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nEnvoyé\r\n".encode()
    report = receipts.mdn(
        domain="socle.mssante.fr",
        reporter=COLLEAGUE,
        to=DOCTOR,
        subject="é",
        message_id="<m@t>",
        original_raw=original,
        disposition="displayed",
        automatic=False,
    )
    parsed = message_from_bytes(report, policy=policy.default)
    assert parsed.get_content_type() == "multipart/report"
    assert "\r\n\r\nEnvoyé\r\n".encode() in report, "the enclosed original is byte-for-byte, 8-bit kept"


class Writer:
    """Stands for the client side of an IMAP connection: collects what the server writes."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        return None


def test_sessions_end_when_the_psc_token_expires(tmp_path: Path) -> None:
    """SC.MSS/CONF.10-11: the operator ends the session; the client reconnects with a fresh token."""
    from services.mssante.auth import Identity
    from services.mssante.imap import ImapContext, Session
    from services.mssante.smtp import SESSION_EXPIRED, SubmissionHandler

    expired = Identity(DOCTOR, "XOAUTH2", "8jul", "lps", expires_at=1.0)
    fresh = Identity(DOCTOR, "XOAUTH2", "8jul", "lps", expires_at=4_000_000_000.0)
    settings = _settings(tmp_path)
    context = ImapContext(settings, _database(settings), None, None, None)  # type: ignore[arg-type]
    writer = Writer()

    async def imap() -> tuple[bool, bool]:
        session = Session(context, asyncio.StreamReader(), writer)  # type: ignore[arg-type]
        session.identity = fresh
        before = await session.dispatch("a1", "NOOP", b"", [])
        session.identity = expired
        return before, await session.dispatch("a2", "NOOP", b"", [])

    assert asyncio.run(imap()) == (False, True)
    assert writer.data.endswith(
        "* BYE the Pro Santé Connect access token has expired: reconnect\r\n".encode()
    )
    handler = SubmissionHandler.__new__(SubmissionHandler)
    handler.settings = settings
    smtp_session = type("S", (), {"auth_data": expired})()
    envelope = type("E", (), {"mail_options": []})()
    assert asyncio.run(handler._mail(smtp_session, envelope, DOCTOR, [])) == SESSION_EXPIRED  # type: ignore[arg-type]


def test_an_entry_whose_local_name_is_not_utf8_is_a_finding_not_a_crash() -> None:
    """Found by the reliability suite: zipfile raises UnicodeDecodeError reading such an entry."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.TXT", "r")
        archive.writestr("INDEX.HTM", "i")
        archive.writestr("IHE_XDM/SUBSET01/METADATA.XML", "<x/>")
    data = bytearray(buffer.getvalue())
    header = data.index(b"PK\x03\x04IHE"[:4], data.index(b"INDEX.HTM"))  # local header of METADATA.XML
    data[header + 6 : header + 8] = (0x0800).to_bytes(2, "little")  # general purpose flag: names in UTF-8
    data[header + 30] = 0x80  # first byte of the local file name: not UTF-8
    report = check_xdm(bytes(data), ZipLimits(max_total=10**8, max_ratio=1000, max_entries=100))
    assert "xdm.corrupt" in {finding.code for finding in report.findings}


def test_a_copy_takes_the_next_uid_and_its_size_only_within_the_quota(tmp_path: Path) -> None:
    database = _database(_settings(tmp_path))
    with database.transaction() as session:
        taken = [store.take_uid(session, address=COLLEAGUE, size=100, quota=250) for _ in range(3)]
        missing = store.take_uid(session, address="nobody@socle.mssante.fr", size=1, quota=250)
    with database.reader() as session:
        box = store.mailbox(session, address=COLLEAGUE)
    assert taken == [1, 2, None] and missing is None
    assert box is not None and (box.uid_next, box.used_bytes) == (3, 200)


def test_a_copy_is_inserted_only_with_every_column(tmp_path: Path) -> None:
    database = _database(_settings(tmp_path))
    with pytest.raises(ValueError, match="raw"), database.transaction() as session:
        store.insert_copy(session, values={"mailbox": COLLEAGUE, "uid": 1})
    with database.reader() as session:
        assert store.search(session)[0] == 0


def test_a_box_removed_since_resolution_fails_alone_and_the_sender_gets_a_dsn(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    database = _database(settings)
    delivery = Delivery(settings, database, Directory())  # type: ignore[arg-type]
    with database.reader() as session:
        sender, colleague = store.mailbox(session, address=DOCTOR), store.mailbox(session, address=COLLEAGUE)
    gone = Mailbox(
        address="parti@socle.mssante.fr", kind="PER", owner="8par", uid_validity=1, created_at=store.now()
    )
    recipients = [colleague, gone]
    raw = message(DOCTOR, [COLLEAGUE], "Bonjour").as_bytes(policy=policy.SMTP)
    submission = Submission(DOCTOR, recipients, raw, "tests", "127.0.0.1", DOCTOR, sender)  # type: ignore[arg-type]
    outcome = asyncio.run(delivery.submit(submission))
    assert len(outcome.ids) == 1
    assert [(f.recipient, f.status) for f in outcome.failed] == [(gone.address, "5.1.1")]
    with database.reader() as session:
        assert store.search(session, mailbox=COLLEAGUE)[0] == 1
        total, reports = store.search(session, mailbox=DOCTOR, kind="dsn")
        report = store.message(session, message_id=reports[0].id) if reports else None  # type: ignore[arg-type]
    assert total == 1 and report is not None
    assert f"Final-Recipient: rfc822; {gone.address}".encode() in report.raw
