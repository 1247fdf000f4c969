"""What the checks found in a message: stored with it, read by the conformance suite.

Two kinds of problems: a :class:`Refusal` stops the SMTP transaction (hostile or unreadable input:
zip bombs, zip slip, XML bombs, broken MIME, invalid UTF-8), while a :class:`Finding` describes a
non-conformity that is delivered with the message, or refused in strict mode when its severity is
``error``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    """error or warning."""
    message: str
    requirement: str = ""
    """The Ségur requirement checked, verbatim (``SC.MSS/CONF.14``), when there is one."""
    mdm_error: str = ""
    """The integration error code of the MDM guide (``902``–``906``) a receiving platform would return."""

    def as_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value}


def error(code: str, message: str, requirement: str = "", mdm_error: str = "") -> Finding:
    return Finding(code, "error", message, requirement, mdm_error)


def warning(code: str, message: str, requirement: str = "", mdm_error: str = "") -> Finding:
    return Finding(code, "warning", message, requirement, mdm_error)


class Refusal(Exception):
    """Input refused during the SMTP transaction, with the reply to send (RFC 5321 / RFC 3463 codes)."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


def refuse_content(reason: str) -> Refusal:
    return Refusal(f"554 5.6.0 Message refused: {reason}")
