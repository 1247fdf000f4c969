"""MSSanté mailboxes as the directory publishes them: one ``telecom`` per box (spec B7, C7).

A box is ``system=email`` with the FR Core ``emailType`` extension set to MSSANTE and the AS metadata
extension giving its type (TRE_R257: PER, ORG, APP, CAB), ``listeRouge`` and, for structures, a
description. Boxes on the red list are not published at all, so none is built here.
"""

from __future__ import annotations

from typing import Any

from .codes import EMAIL_TYPE_EXT, MAILBOX_METADATA_EXT, bal_type, mssante_email_type


def mailbox_telecom(address: str, kind: str, *, rank: int = 1, description: str = "") -> dict[str, Any]:
    """The ``telecom`` entry of the mailbox ``address`` of type ``kind``."""
    metadata: list[dict[str, Any]] = [{"url": "type", "valueCodeableConcept": {"coding": [bal_type(kind)]}}]
    if description:
        metadata.append({"url": "description", "valueString": description})
    metadata.append({"url": "listeRouge", "valueBoolean": False})
    return {
        "extension": [
            {"url": EMAIL_TYPE_EXT, "valueCoding": mssante_email_type()},
            {"url": MAILBOX_METADATA_EXT, "extension": metadata},
        ],
        "system": "email",
        "value": address,
        "rank": rank,
    }


def is_mailbox(telecom: dict[str, Any]) -> bool:
    """True for a telecom that is an MSSanté box (what ``mailbox-mss`` searches), not an ordinary email."""
    return telecom.get("system") == "email" and any(
        ext.get("url") == EMAIL_TYPE_EXT and ext.get("valueCoding", {}).get("code") == "MSSANTE"
        for ext in telecom.get("extension", ())
    )
