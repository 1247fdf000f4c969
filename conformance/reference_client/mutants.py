"""Mutants of the reference client: each breaks one behaviour, and the suite must catch exactly that.

``fails`` lists the checks a run of the mutant must fail (and no other): CI proves the suite with it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    breaks: str
    fails: tuple[str, ...]
    scenarios: tuple[str, ...]
    """The scenarios where the broken behaviour shows (a CI run of the mutant can stop there)."""


MUTANTS = {
    mutant.name: mutant
    for mutant in (
        Mutant("no-pkce", "sends no code_challenge and no code_verifier", ("PSC-02",), ("psc-login",)),
        Mutant(
            "no-acr", "leaves acr_values=eidas1 out of the authorization request", ("PSC-03",), ("psc-login",)
        ),
        Mutant(
            "no-nonce",
            "sends no nonce (and so cannot check one)",
            ("PSC-04", "PSC-08"),
            ("psc-login", "psc-wrong-nonce"),
        ),
        Mutant(
            "ignores-nonce",
            "does not compare the ID token's nonce with the one it sent",
            ("PSC-08",),
            ("psc-login", "psc-wrong-nonce"),
        ),
        Mutant(
            "trusts-userinfo",
            "does not check that userinfo is about the ID token's subject",
            ("PSC-08",),
            ("psc-userinfo-sub-mismatch",),
        ),
        Mutant(
            "ins-not-qualified",
            "uses the INS of an identity that is not qualified",
            ("INS-03",),
            ("dmp-feed", "dmp-unqualified"),
        ),
        Mutant(
            "no-status-check",
            "feeds the DMP without checking the patient's DMP first",
            ("DMP-01",),
            ("dmp-feed", "dmp-unavailable"),
        ),
        Mutant(
            "no-retry",
            "gives up when the DMP fails and tells the user all went well",
            ("DMP-10",),
            ("dmp-unavailable",),
        ),
        Mutant("no-x-mss-nil", "leaves the X-MSS-NIL header out", ("MSS-05",), ("mss-send",)),
        Mutant("no-mask", "offers no way to mask a document", ("DMP-09",), ("dmp-replace-delete",)),
        Mutant("no-delete", "offers no way to delete a document", ("DMP-08",), ("dmp-replace-delete",)),
        Mutant("no-x-mss-ins", "leaves the X-MSS-INS header out", ("MSS-03",), ("mss-send",)),
        Mutant(
            "wrong-xdm", "builds IHE_XDM.zip without README.TXT and INDEX.HTM", ("MSS-06",), ("mss-send",)
        ),
        Mutant(
            "impatient",
            "gives up on a slow DMP after 0.5 s instead of waiting for its answer",
            ("DMP-12",),
            ("dmp-slow",),
        ),
        Mutant(
            "ciba-fast-poll",
            "polls the CIBA token endpoint without waiting the interval",
            ("PSC-09",),
            ("psc-ciba",),
        ),
        Mutant(
            "no-logout", "forgets the PSC session at logout instead of ending it", ("PSC-07",), ("psc-login",)
        ),
    )
}
