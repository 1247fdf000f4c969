"""SMTP submission (RFC 5321 + STARTTLS RFC 3207 + AUTH RFC 4954) on aiosmtpd, in the app's loop.

Order of a session, as the MSSanté client rules want it (spec B3): EHLO, STARTTLS (anything else
is refused before TLS with 530), AUTH XOAUTH2 with a PSC token (or PLAIN/LOGIN on a test account),
then MAIL FROM (must be the authenticated box, or ``<>`` for reports), RCPT TO (trust space,
Annuaire or INS), DATA (checks, then delivery in one transaction). Replies carry RFC 3463 codes.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import ssl
import time
from typing import Any

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, Session, syntax

from .addresses import BadAddress, in_trust_space, parse
from .auth import Authenticator, AuthFailed, Identity, decode_b64, parse_xoauth2, xoauth2_error_challenge
from .delivery import Delivery, Outcome, Submission
from .evidence import Evidence
from .findings import Refusal
from .mailboxes import Rejected, Resolver
from .settings import MssSettings
from .smtpdata import TooMuchData, quick_ack, read_data

log = logging.getLogger("socle.mssante.smtp")
INVALID = "535 5.7.8 Authentication credentials invalid"
MAX_RECIPIENTS = 100
AUTH_LINE_LIMIT = 16 * 1024
SESSION_EXPIRED = "421 4.7.0 The Pro Santé Connect access token has expired: reconnect and authenticate again"


class MssSmtp(SMTP):
    """aiosmtpd's SMTP with room for a PSC access token on the AUTH line (a JWT passes 512 bytes)."""

    line_length_limit = AUTH_LINE_LIMIT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.command_size_limits = collections.defaultdict(lambda: SMTP.command_size_limit)
        self.command_size_limits["AUTH"] = AUTH_LINE_LIMIT

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA with the block reader of :mod:`smtpdata` (same checks, same replies)."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            transport = self._original_transport or self.transport
            sock = transport.get_extra_info("socket") if transport else None
            content = await read_data(self._reader, self.data_size_limit, quick_ack(sock))
        except TooMuchData:
            self._set_post_data_state()
            await self.push("552 5.3.4 Error: Too much mail data")
            return
        self.envelope.content = self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)


class SubmissionHandler:
    """aiosmtpd hooks; ``auth_*`` methods replace aiosmtpd's built-in PLAIN/LOGIN (ours are async)."""

    def __init__(
        self,
        settings: MssSettings,
        authenticator: Authenticator,
        resolver: Resolver,
        delivery: Delivery,
        evidence: Evidence,
    ) -> None:
        self.settings = settings
        self.authenticator = authenticator
        self.resolver = resolver
        self.delivery = delivery
        self.evidence = evidence

    def _note(
        self,
        server: SMTP,
        command: str,
        reply: str,
        started: float,
        identity: Identity | None = None,
        **notes: Any,
    ) -> None:
        tls = server.transport.get_extra_info("ssl_object") if server.transport else None
        self.evidence.record(
            "SMTP",
            command,
            reply,
            started=started,
            client_id=identity.client_id if identity else None,
            idnat=identity.idnat if identity else None,
            tls=tls.version() if tls else None,
            mailbox=identity.address if identity else None,
            auth=identity.method if identity else None,
            **notes,
        )

    def _auth_done(self, server: SMTP, mechanism: str, started: float, result: AuthResult) -> AuthResult:
        identity = result.auth_data if result.success else None
        reply = "235 2.7.0 Authentication successful" if result.success else (result.message or INVALID)
        self._note(server, f"AUTH {mechanism}", reply, started, identity)
        return result

    async def _respond(self, server: SMTP, args: list[str], prompt: str = "") -> bytes | None:
        """The SASL initial response (``=`` is the empty one) or the answer to a 334 challenge."""
        if len(args) > 1:
            return b"" if args[1] == "=" else decode_b64(args[1].encode())
        answer = await server.challenge_auth(prompt)
        return None if answer is MISSING else bytes(answer)  # type: ignore[arg-type]

    @staticmethod
    def _failed(exc: AuthFailed) -> AuthResult:
        if exc.temporary:
            return AuthResult(
                success=False,
                handled=False,
                message=f"454 4.7.0 Temporary authentication failure: {exc.reason}",
            )
        return AuthResult(success=False, handled=False, message=f"{INVALID}: {exc.reason}")

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        started = time.perf_counter()
        return self._auth_done(server, "XOAUTH2", started, await self._auth_xoauth2(server, args))

    async def _auth_xoauth2(self, server: SMTP, args: list[str]) -> AuthResult:
        try:
            blob = await self._respond(server, args)
            if blob is None:
                return AuthResult(success=False, handled=True)
            user, token = parse_xoauth2(blob)
            identity = await self.authenticator.xoauth2(user, token)
        except AuthFailed as exc:
            if not exc.temporary:
                await server.challenge_auth(xoauth2_error_challenge(), encode_to_b64=False)
            return self._failed(exc)
        return AuthResult(success=True, auth_data=identity)

    async def auth_PLAIN(self, server: SMTP, args: list[str]) -> AuthResult:
        started = time.perf_counter()
        return self._auth_done(server, "PLAIN", started, await self._auth_plain(server, args))

    async def _auth_plain(self, server: SMTP, args: list[str]) -> AuthResult:
        try:
            blob = await self._respond(server, args)
            if blob is None:
                return AuthResult(success=False, handled=True)
            parts = blob.decode("utf-8").split("\x00")
            if len(parts) != 3:
                raise AuthFailed("PLAIN expects authzid\\0authcid\\0password")
            if parts[0] and parts[0] != parts[1]:
                raise AuthFailed("acting for another identity (authzid) is not allowed")
            identity = await self.authenticator.password(parts[1], parts[2])
        except UnicodeDecodeError:
            return self._failed(AuthFailed("credentials are not UTF-8"))
        except AuthFailed as exc:
            return self._failed(exc)
        return AuthResult(success=True, auth_data=identity)

    async def auth_LOGIN(self, server: SMTP, args: list[str]) -> AuthResult:
        started = time.perf_counter()
        return self._auth_done(server, "LOGIN", started, await self._auth_login(server, args))

    async def _auth_login(self, server: SMTP, args: list[str]) -> AuthResult:
        try:
            user = await self._respond(server, args, "Username:")
            if user is None:
                return AuthResult(success=False, handled=True)
            password = await server.challenge_auth("Password:")
            if password is MISSING:
                return AuthResult(success=False, handled=True)
            identity = await self.authenticator.password(
                user.decode("utf-8"), bytes(password).decode("utf-8")
            )  # type: ignore[arg-type]
        except UnicodeDecodeError:
            return self._failed(AuthFailed("credentials are not UTF-8"))
        except AuthFailed as exc:
            return self._failed(exc)
        return AuthResult(success=True, auth_data=identity)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        started = time.perf_counter()
        reply = await self._mail(session, envelope, address, options)
        if reply == SESSION_EXPIRED and server.transport is not None:
            asyncio.get_running_loop().call_soon(server.transport.close)
        if not reply.startswith("2"):
            self._note(server, "MAIL FROM", reply, started, session.auth_data, address=address)
        return reply

    async def _mail(self, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        identity: Identity = session.auth_data
        if identity.expired:
            return SESSION_EXPIRED
        try:
            sender = parse(address, self.settings.mss_patient_domain)
        except BadAddress as exc:
            return f"553 5.1.3 {exc}"
        if not sender.is_null:
            if not in_trust_space(sender, self.settings.trust_domains):
                return f"550 5.7.1 <{sender.address}>: sender outside the MSSanté trust space"
            if sender.address != identity.address:
                return f"553 5.7.1 <{sender.address}>: not the authenticated mailbox <{identity.address}>"
        envelope.mail_from = sender.address or "<>"
        envelope.mail_options.extend(options)
        return "250 2.1.0 Sender OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        started = time.perf_counter()
        reply = await self._rcpt(session, envelope, address, options)
        if not reply.startswith("2"):
            self._note(server, "RCPT TO", reply, started, session.auth_data, address=address)
        return reply

    async def _rcpt(self, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        boxes: list[Any] = envelope.__dict__.setdefault("boxes", [])
        if len(boxes) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            box = await self.resolver.resolve(parse(address, self.settings.mss_patient_domain))
        except BadAddress as exc:
            return f"553 5.1.3 {exc}"
        except Rejected as exc:
            return exc.reply
        if all(b.address != box.address for b in boxes):
            boxes.append(box)
            envelope.rcpt_tos.append(box.address)
            envelope.rcpt_options.extend(options)
        return "250 2.1.5 Recipient OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        started = time.perf_counter()
        reply, outcome = await self._deliver(session, envelope)
        self._note(
            server,
            "DATA",
            reply,
            started,
            session.auth_data,
            envelope_from=envelope.mail_from,
            recipients=list(envelope.rcpt_tos),
            size=len(envelope.original_content or b""),
            patient=outcome.patient_ins if outcome else None,
            delivered=len(outcome.ids) if outcome else 0,
            findings=[f.as_json() for f in outcome.findings] if outcome else None,
        )
        return reply

    async def _deliver(self, session: Session, envelope: Envelope) -> tuple[str, Outcome | None]:
        identity: Identity = session.auth_data
        sender_box = None
        if envelope.mail_from != "<>":
            try:
                sender_box = await self.resolver.resolve(
                    parse(envelope.mail_from or "", self.settings.mss_patient_domain)
                )
            except Rejected as exc:
                return exc.reply, None
        submission = Submission(
            envelope_from="" if envelope.mail_from == "<>" else str(envelope.mail_from),
            recipients=list(envelope.__dict__.get("boxes", [])),
            raw=bytes(envelope.original_content or b""),
            helo=str(session.host_name),
            peer=str(session.peer[0]) if session.peer else "unknown",
            authenticated_as=f"{identity.address} via {identity.method}",
            sender_box=sender_box,
        )
        try:
            outcome = await self.delivery.submit(submission)
        except Refusal as exc:
            return exc.reply, None
        except Exception:
            log.exception("delivery failed")
            return "451 4.3.0 Local error in processing, nothing delivered", None
        note = f", {len(outcome.failed)} returned in a DSN" if outcome.failed else ""
        return f"250 2.0.0 OK delivered to {len(outcome.ids)} mailbox(es){note}", outcome


async def start_smtp(
    settings: MssSettings, handler: SubmissionHandler, context: ssl.SSLContext
) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    excluded = [] if settings.mss_test_accounts else ["PLAIN", "LOGIN"]

    def protocol() -> SMTP:
        return MssSmtp(
            handler,
            hostname=settings.mss_domain,
            ident="socle MSSanté ESMTP",
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            auth_exclude_mechanism=excluded,
            data_size_limit=settings.mss_max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            loop=loop,
        )

    return await loop.create_server(protocol, host=settings.host, port=settings.smtp_port)
