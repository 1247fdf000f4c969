"""Scenarios: what the vendor's software is asked to do, one driver run each.

A scenario names the test patient it uses, the faults the suite injects before it, and whether the
software is expected to complete it or to refuse (negative scenarios). The instructions are what a
tester reads in ``--wait`` mode and what a driver receives in ``CONFORMANCE_INSTRUCTIONS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    instructions: str
    services: tuple[str, ...]
    patient: str = "reference"
    """Which fixture patient: ``reference`` (qualified, open DMP) or ``unqualified`` (PROV, open DMP)."""
    expect: str = "complete"
    """``complete``, or ``refuse`` when the right behaviour is to stop and say so."""
    faults: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    done_when: tuple[str, str, str] | None = None
    """(service, method, path suffix) whose appearance ends a ``--wait`` scenario."""
    psc_client: tuple[tuple[str, object], ...] = ()
    """socle's test settings of a PSC client registered for this scenario alone (adversarial ID tokens,
    CIBA auto-approval); empty: the run's client."""

    @property
    def isolated(self) -> bool:
        """Needs no fault and no mailbox: with a PSC client of its own, it may run alongside others."""
        return not self.faults and "mssante" not in self.services


ADVERSARIAL_LOGINS = (
    ("wrong_nonce", "an ID token with another nonce"),
    ("wrong_issuer", "an ID token from another issuer"),
    ("wrong_audience", "an ID token for another audience"),
    ("expired", "an expired ID token"),
    ("bad_signature", "an ID token whose signature does not verify"),
    ("alg_none", "an unsigned ID token (alg none)"),
    ("unknown_kid", "an ID token signed with a key absent from the JWKS"),
    ("userinfo_sub_mismatch", "a userinfo for another subject"),
)
"""PSC's adversarial answers (OpenID RP certification style): each must make the software refuse the login."""
USERINFO_MODES = ("userinfo_sub_mismatch",)
"""Modes where the ID token is right and userinfo is wrong: the software reads userinfo, then refuses."""

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "psc-login",
        "Log in with Pro Santé Connect, read userinfo, log out",
        "Log in as the test professional with Pro Santé Connect (eIDAS 1), show who is logged in, then log out.",
        ("prosanteconnect",),
        done_when=("prosanteconnect", "GET", "/logout"),
    ),
    *(
        Scenario(
            f"psc-{mode.replace('_', '-')}",
            f"Refuse a login answered with {label}",
            "Log in with Pro Santé Connect: what PSC answers is wrong; the software must refuse the login.",
            ("prosanteconnect",),
            expect="refuse",
            done_when=("prosanteconnect", "POST", "/token"),
            psc_client=(("socle_test_behaviour", mode),),
        )
        for mode, label in ADVERSARIAL_LOGINS
    ),
    Scenario(
        "psc-ciba",
        "Log in with CIBA (e-CPS on the professional's phone)",
        "Log in as the test professional by CIBA: ask PSC to notify the professional's e-CPS with a 2-digit "
        "binding message, then poll the token endpoint no faster than the interval PSC gives.",
        ("prosanteconnect",),
        done_when=("prosanteconnect", "GET", "/userinfo"),
        psc_client=(("socle_ciba_auto_approve", True),),
    ),
    Scenario(
        "ins-lookup",
        "Find the patient's INS and identity status",
        "Log in, then retrieve the test patient's INS (Vitale card or INSi traits) and show its identity status.",
        ("prosanteconnect", "ins"),
        done_when=("ins", "GET", "/fhir/Patient"),
    ),
    Scenario(
        "dmp-feed",
        "Feed the DMP with a CDA document",
        "Log in, retrieve the patient's qualified INS, check the patient's DMP, then publish a CDA document.",
        ("prosanteconnect", "ins", "dmp"),
        done_when=("dmp", "POST", "/fhir"),
    ),
    Scenario(
        "dmp-replace-delete",
        "Replace, mask and delete a document in the DMP",
        "Publish a document, publish a new version replacing it, mask it from professionals, then delete it.",
        ("prosanteconnect", "ins", "dmp"),
        done_when=("dmp", "PATCH", ""),
    ),
    Scenario(
        "dmp-unqualified",
        "Refuse to feed the DMP for an identity that is not qualified",
        "Try to send a document to the DMP for this patient, whose identity is provisional: the software must refuse.",
        ("prosanteconnect", "ins", "dmp"),
        patient="unqualified",
        expect="refuse",
        done_when=("ins", "GET", "/fhir/Patient"),
    ),
    Scenario(
        "dmp-unavailable",
        "Feed the DMP while it answers 503 once",
        "Publish a document while the DMP is unavailable for a moment: retry, or report a clean error.",
        ("prosanteconnect", "ins", "dmp"),
        faults=({"service": "dmp", "path": "/fhir", "method": "POST", "status": 503, "count": 1},),
        done_when=("dmp", "POST", "/fhir"),
    ),
    Scenario(
        "dmp-slow",
        "Feed the DMP while it takes 1.5 s to answer",
        "Publish a document while the DMP is slow: wait for its answer; never send the document twice.",
        ("prosanteconnect", "ins", "dmp"),
        faults=({"service": "dmp", "path": "/fhir", "method": "POST", "latency_ms": 1500, "count": 1},),
        done_when=("dmp", "POST", "/fhir"),
    ),
    Scenario(
        "mss-send",
        "Send a CDA document by MSSanté to the médecin traitant and the patient",
        "Log in, then send the CDA document of the test patient in an IHE_XDM.zip by MSSanté to the patient's "
        "médecin traitant and to the patient's mailbox.",
        ("prosanteconnect", "ins", "mssante"),
        done_when=("mssante", "SMTP", ""),
    ),
    Scenario(
        "parcours",
        "Teaching scenario: from the Vitale card to the patient's DMP history",
        "Read the patient's Vitale card, get the qualified INS from INSi, write a consultation report (CDA), "
        "feed it to the DMP, send it by MSSanté to the médecin traitant and to the patient's mailbox, then "
        "open the patient's DMP history and show the access.",
        ("prosanteconnect", "ins", "dmp", "mssante"),
        done_when=("dmp", "GET", "/fhir/AuditEvent"),
    ),
)


def scenario(scenario_id: str) -> Scenario:
    for item in SCENARIOS:
        if item.id == scenario_id:
            return item
    raise KeyError(scenario_id)
