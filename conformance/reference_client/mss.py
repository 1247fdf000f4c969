"""Sending a CDA document by MSSanté (spec B3-B4): SMTP, STARTTLS with the operator's CA, SASL XOAUTH2
with the PSC access token, X-MSS-* headers, one patient per message in an IHE_XDM.zip.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

import httpx

from . import xdm
from .cda import Document
from .config import Config


def xoauth2(address: str, token: str) -> str:
    """The XOAUTH2 initial response (smtplib base64-encodes it)."""
    return f"user={address}\x01auth=Bearer {token}\x01\x01"


def tls_context(http: httpx.Client, cfg: Config) -> ssl.SSLContext:
    """Trust the operator's certification authority only (the simulator publishes its test CA)."""
    pem = http.get(f"{cfg.mss_url}/api/ca.pem").raise_for_status().text
    context = ssl.create_default_context(cadata=pem)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def message(cfg: Config, document: Document, archive: bytes) -> EmailMessage:
    mail = EmailMessage()
    date = "/".join(reversed(cfg.patient_birth_date.split("-")))
    mail["From"] = cfg.professional_mailbox
    mail["To"] = ", ".join([cfg.recipient_mailbox, cfg.patient_mailbox])
    mail["Subject"] = (
        f"XDM/1.0/DDM+{document.type_display[:40]} {cfg.patient_birth_name} {cfg.patient_first_names.split()[0]} {date}"
    )
    mail["Message-ID"] = make_msgid(domain=cfg.professional_mailbox.split("@")[1])
    if not cfg.broken("no-x-mss-nil"):
        mail["X-MSS-NIL"] = cfg.nil
    mail["X-MSS-CODECDA"] = document.type_code
    if not cfg.broken("no-x-mss-ins"):
        mail["X-MSS-INS"] = "O"
    mail.set_content(
        "Bonjour,\n\nVeuillez trouver ci-joint le compte rendu de consultation.\n", charset="utf-8"
    )
    mail.add_attachment(archive, maintype="application", subtype="zip", filename="IHE_XDM.zip")
    return mail


def send(http: httpx.Client, cfg: Config, document: Document, token: str) -> str:
    archive = xdm.archive(
        document,
        ins=cfg.patient_ins,
        oid=cfg.patient_oid,
        author=cfg.professional_idnat,
        sender=cfg.professional_mailbox,
        layout=not cfg.broken("wrong-xdm"),
    )
    mail = message(cfg, document, archive)
    with smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=20) as smtp:
        smtp.ehlo("reference-lps.socle.test")
        smtp.starttls(context=tls_context(http, cfg))
        smtp.ehlo("reference-lps.socle.test")
        smtp.auth("XOAUTH2", lambda challenge=None: xoauth2(cfg.professional_mailbox, token))
        smtp.send_message(mail)
    return str(mail["Message-ID"])
