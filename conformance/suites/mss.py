"""MSSanté checks: how the software sends a CDA document (spec B3-B4, SC.MSS/CONF.*).

Evidence is each copy of the messages the software sent in the scenario, read back through the
MSSanté inspection API: the source as received (headers, ``Received`` trace with the protocol and SASL
mechanism) and the findings MSSanté's own checks stored with it (X-MSS-* headers, IHE_XDM content).
"""

from __future__ import annotations

from email import policy
from email.parser import Parser
from typing import Any

from ..checks import check, expect
from ..evidence import Exchange, ScenarioEvidence

SCENARIOS = ["mss-send", "parcours"]


def findings(ex: Exchange, requirement: str | None = None, prefix: str = "") -> list[dict[str, Any]]:
    found = (ex.json() or {}).get("findings") or []
    return [
        f
        for f in found
        if f.get("severity") == "error"
        and (requirement is None or f.get("requirement") == requirement)
        and f.get("code", "").startswith(prefix)
    ]


def header(ex: Exchange, name: str) -> str:
    return ex.request_headers.get(name.lower(), "").strip()


def has_xdm(ex: Exchange) -> bool:
    message = Parser(policy=policy.default).parsestr(ex.raw.get("request_body") or "")
    return any((part.get_filename() or "").upper() == "IHE_XDM.ZIP" for part in message.walk())


def show(found: list[dict[str, Any]]) -> str:
    return "; ".join(f"{f.get('code')}: {f.get('message')}" for f in found)


@check("MSS-01", ["MSS-TLS-01"], scenarios=SCENARIOS, title="Sent over SMTP with STARTTLS")
def smtp_with_tls(ev: ScenarioEvidence) -> str:
    """SC.MSS/CONF.01/.05: messages are submitted by SMTP inside TLS (the trace says ESMTPS or ESMTPSA, RFC 3848)."""
    for ex in ev.sent():
        trace = header(ex, "received")
        expect(" with ESMTPS" in trace, f"{ex.summary()}: not received over SMTP with TLS ({trace[:120]!r})")
    return "ESMTPS"


@check("MSS-02", ["MSS-AUTH-01"], scenarios=SCENARIOS, title="Authenticated with XOAUTH2 and the PSC token")
def xoauth2(ev: ScenarioEvidence) -> None:
    """The SMTP session authenticates with SASL XOAUTH2 carrying the professional's PSC access token."""
    for ex in ev.sent():
        expect("via XOAUTH2" in header(ex, "received"), f"{ex.summary()}: not authenticated with XOAUTH2")


@check("MSS-03", ["MSS-HDR-01"], scenarios=SCENARIOS, title="X-MSS-INS")
def x_mss_ins(ev: ScenarioEvidence) -> None:
    """SC.MSS/CONF.14: with a CDA in IHE_XDM, X-MSS-INS is O when a qualified INS is present (N otherwise)."""
    for ex in ev.sent():
        expect(has_xdm(ex), f"{ex.summary()}: no IHE_XDM.zip, so X-MSS-INS cannot be judged")
        expect(
            header(ex, "x-mss-ins") == "O",
            f"{ex.summary()}: X-MSS-INS is {header(ex, 'x-mss-ins')!r}, not 'O'",
        )
        wrong = findings(ex, "SC.MSS/CONF.14")
        expect(not wrong, f"{ex.summary()}: {show(wrong)}")


@check("MSS-04", ["MSS-HDR-02"], scenarios=SCENARIOS, title="X-MSS-CODECDA")
def x_mss_codecda(ev: ScenarioEvidence) -> None:
    """SC.MSS/CONF.15: with a CDA in IHE_XDM, X-MSS-CODECDA repeats the document type code(s)."""
    for ex in ev.sent():
        expect(header(ex, "x-mss-codecda"), f"{ex.summary()}: no X-MSS-CODECDA")
        wrong = findings(ex, "SC.MSS/CONF.15")
        expect(not wrong, f"{ex.summary()}: {show(wrong)}")


@check("MSS-05", ["MSS-HDR-03"], scenarios=SCENARIOS, title="X-MSS-NIL")
def x_mss_nil(ev: ScenarioEvidence) -> None:
    """SC.MSS/CONF.16: every message carries the software's Convergence product reference."""
    for ex in ev.sent():
        expect(header(ex, "x-mss-nil"), f"{ex.summary()}: no X-MSS-NIL")


@check("MSS-06", ["MSS-XDM-01"], scenarios=SCENARIOS, title="Valid IHE_XDM.zip")
def xdm(ev: ScenarioEvidence) -> None:
    """The document travels in IHE_XDM.zip: README.TXT, INDEX.HTM, IHE_XDM/SUBSETnn/METADATA.XML naming each
    document with its hash and size (spec B4); MSSanté's inspection found no XDM error."""
    for ex in ev.sent():
        expect(has_xdm(ex), f"{ex.summary()}: no IHE_XDM.zip attachment")
        wrong = findings(ex, prefix="xdm.")
        expect(not wrong, f"{ex.summary()}: {show(wrong)}")


@check(
    "MSS-07",
    ["MSS-XDM-02", "INS-DOC-01"],
    scenarios=SCENARIOS,
    title="One patient, named by INS, per message",
)
def one_patient(ev: ScenarioEvidence) -> None:
    """One usager per message (ECO.2.1.1), identified by the qualified INS in METADATA.XML, sent to the
    médecin traitant and to the patient's own mailbox."""
    recipients: set[str] = set()
    for ex in ev.sent():
        answer = ex.json() or {}
        several = findings(ex, prefix="xdm.patients")
        expect(not several, f"{ex.summary()}: {show(several)}")
        expect(
            answer.get("patient_ins") == ev.patient, f"{ex.summary()}: the XDM does not name INS {ev.patient}"
        )
        recipients.add(str(answer.get("mailbox", "")))
    expect(
        any(r.endswith("patient.mssante.fr") for r in recipients), "the patient's mailbox received nothing"
    )
    expect(len(recipients) >= 2, f"only {sorted(recipients)} received the message")


@check("MSS-08", ["MSS-UTF8-01"], scenarios=SCENARIOS, title="UTF-8")
def utf8(ev: ScenarioEvidence) -> None:
    """SC.MSS/CONF.19: text parts declare UTF-8 (or plain ASCII); MSSanté refuses headers that are not UTF-8."""
    for ex in ev.sent():
        message = Parser(policy=policy.default).parsestr(ex.raw.get("request_body") or "")
        for part in message.walk():
            if part.get_content_maintype() == "text" and not part.get_filename():
                charset = (part.get_content_charset() or "us-ascii").lower()
                expect(charset in ("utf-8", "us-ascii"), f"{ex.summary()}: a text part is {charset}")
