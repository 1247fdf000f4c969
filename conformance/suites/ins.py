"""INS checks: how the software obtains the patient's INS and uses its identity status (spec A5-A9).

Evidence is what the software asked the INS services (FHIR ``$match`` / PDQm search, or the INSi SOAP
façade) and what they answered: the FR Core identity-reliability extension carries the status.
"""

from __future__ import annotations

from typing import Any

from ..checks import check, expect, fail
from ..evidence import Exchange, ScenarioEvidence

RELIABILITY = "fr-core-identity-reliability"
INS_OIDS = ("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11")
"""INS-NIR, INS-NIA, and their test counterparts (spec A2)."""
LOOKUP_SCENARIOS = ["ins-lookup", "dmp-feed", "mss-send", "parcours"]


STATUS_LABELS = {
    "identité provisoire": "PROV",
    "identité récupérée": "RECUP",
    "identité validée": "VALI",
    "identité qualifiée": "QUAL",
}
"""RNIV labels (spec A7): read when the recorded code is masked (the traffic record masks every ``code``)."""


def identity_status(patient: dict[str, Any]) -> str | None:
    """The RNIV status (QUAL, PROV, RECUP, VALI) a FR Core Patient carries, if any."""
    for extension in patient.get("extension") or []:
        if not str(extension.get("url", "")).endswith(RELIABILITY):
            continue
        for part in extension.get("extension") or []:
            if part.get("url") == "identityStatus":
                coding = part.get("valueCoding") or {}
                code = coding.get("code")
                if code and code != "***":
                    return str(code)
                return STATUS_LABELS.get(str(coding.get("display", "")).lower())
    return None


def answered_patients(ex: Exchange) -> list[dict[str, Any]]:
    body = ex.json() or {}
    if body.get("resourceType") == "Patient":
        return [body]
    return [
        entry["resource"]
        for entry in body.get("entry") or []
        if (entry.get("resource") or {}).get("resourceType") == "Patient"
    ]


def lookups(ev: ScenarioEvidence) -> list[Exchange]:
    """The software's identity requests to INS (FHIR search, $match, read, or INSi SOAP)."""
    return ev.require("an INS lookup", service="ins")


def statuses_seen(ev: ScenarioEvidence) -> dict[str, str]:
    """INS → identity status, as the INS services answered the software in this scenario."""
    seen: dict[str, str] = {}
    for ex in ev.http("ins"):
        for patient in answered_patients(ex):
            status = identity_status(patient)
            for identifier in patient.get("identifier") or []:
                if status and str(identifier.get("system", "")).removeprefix("urn:oid:") in INS_OIDS:
                    seen[identifier["value"]] = status
    return seen


@check("INS-01", ["INS-TRAITS-01"], scenarios=LOOKUP_SCENARIOS, title="INS looked up with the strict traits")
def lookup_with_traits(ev: ScenarioEvidence) -> str:
    """The software asks INS with the birth name, first names, sex and birth date (or an INS to verify),
    and gets an answer: that is how a qualified identity is obtained (RNIV, INSi guide)."""
    for ex in lookups(ev):
        if not ex.ok:
            continue
        if ex.path.endswith("/$match"):
            body = ex.json(response=False) or {}
            patient = next(
                (p.get("resource") for p in body.get("parameter") or [] if p.get("name") == "resource"), {}
            )
            name = (patient.get("name") or [{}])[0]
            missing = [
                trait
                for trait, value in (
                    ("birth name", name.get("family")),
                    ("first names", name.get("given")),
                    ("sex", patient.get("gender")),
                    ("birth date", patient.get("birthDate")),
                )
                if not value
            ]
            expect(not missing, f"{ex.summary()}: $match without {', '.join(missing)}")
            return "INSi-style $match with the strict traits"
        if ex.path.endswith("/insi") and ex.method == "POST":
            return "INSi SOAP call"
        query = ex.query
        if "identifier" in query or {"family", "given", "birthdate", "gender"} <= set(query):
            return "FHIR search by INS or strict traits"
    fail("no successful INS lookup by strict traits, INS or INSi")


@check("INS-02", ["INS-PSC-01"], scenarios=LOOKUP_SCENARIOS, title="INS called with the PSC token")
def lookup_with_psc(ev: ScenarioEvidence) -> None:
    """SC.INS/PSC.01: when users log in with Pro Santé Connect, the INS services are called with it."""
    for ex in lookups(ev):
        if ex.path.endswith("/insi"):
            continue
        expect(ex.bearer, f"{ex.summary()}: no Bearer token")
        expect(ex.status != 401, f"{ex.summary()}: the token was refused")


@check("INS-03", ["INS-STATUS-01", "DMP-FEED-03"], scenarios=["dmp-feed", "dmp-unqualified", "parcours"],
       title="Only a qualified identity is fed to the DMP")  # fmt: skip
def only_qualified(ev: ScenarioEvidence) -> str:
    """The software reads the identity status INS returns; it feeds the DMP only when it is QUAL (the INS
    may be carried only for a qualified identity — FR Core, RNIV) and refuses otherwise."""
    lookups(ev)
    seen = statuses_seen(ev)
    status = seen.get(ev.patient)
    expect(status, f"INS never answered the identity status of the test patient {ev.patient}")
    feeds = [ex for ex in ev.http("dmp", method="POST") if ex.ok]
    if status != "QUAL":
        carried = [
            ex
            for ex in ev.http("dmp")
            if ev.patient in f"{ex.raw.get('query') or ''} {ex.raw.get('request_body') or ''}"
        ]
        if carried:
            fail(
                f"the identity is {status}, yet the software sent its INS to the DMP: {carried[0].summary()}"
            )
        expect(ev.driver.refused, f"identity {status}: the software did not report that it refused")
        return f"identity {status}: refused, nothing sent"
    expect(feeds, "the identity is qualified but no document was fed")
    return "identity QUAL before feeding"
