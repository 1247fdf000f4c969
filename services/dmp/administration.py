"""DMP administration rules: which state changes are allowed (create, close, reopen). Pure."""

from __future__ import annotations

from services.kernel.errors import Conflict

TRANSITIONS = {
    ("none", "create"): "open",
    ("open", "close"): "closed",
    ("closed", "reopen"): "open",
}
CLOSE_MOTIFS = ("patient-demande", "deces", "autre")
"""``dmp-motif-fermeture``: only ``patient-demande`` is published (dmp.md §17); the others are socle's."""


def transition(state: str, action: str) -> str:
    """The DMP state after ``action``; 409 when the action does not apply to the current state."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise Conflict(
            f"cannot {action} a DMP that is {state if state != 'none' else 'not created'}"
        ) from None
