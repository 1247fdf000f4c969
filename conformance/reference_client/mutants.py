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


MUTANTS = {
    mutant.name: mutant
    for mutant in (
        Mutant("no-pkce", "sends no code_challenge and no code_verifier", ("PSC-02",)),
        Mutant("no-acr", "leaves acr_values=eidas1 out of the authorization request", ("PSC-03",)),
        Mutant("no-nonce", "sends no nonce (and so cannot check one)", ("PSC-04", "PSC-08")),
        Mutant("ignores-nonce", "does not compare the ID token's nonce with the one it sent", ("PSC-08",)),
        Mutant("no-logout", "forgets the PSC session at logout instead of ending it", ("PSC-07",)),
    )
}
