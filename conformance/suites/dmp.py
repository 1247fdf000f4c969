"""DMP checks: status check before feeding, ITI-65 content, INS in documents, replace/mask/delete,
behaviour when the DMP is unavailable (dmp.md §3, §8, §9, §14).

Evidence is the requests the software made to the DMP with the run's PSC client, their bodies and the
DMP's answers (a refused bundle is a 4xx with an OperationOutcome).
"""

from __future__ import annotations

import base64
import binascii
import json
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

from ..checks import check, expect, fail, not_tested
from ..evidence import Exchange, ScenarioEvidence
from .ins import INS_OIDS

FEED_SCENARIOS = ["dmp-feed", "dmp-replace-delete", "dmp-unavailable", "dmp-slow", "parcours"]
CONTENT_SCENARIOS = ["dmp-feed", "dmp-replace-delete", "parcours"]
"""Where the bundle's content is judged (in ``dmp-unavailable`` only the behaviour under failure is)."""
CDA_NS = {"cda": "urn:hl7-org:v3"}
MASKS = ("MASQUE_PS", "INVISIBLE_PATIENT")
MASKED = "***"
HARDENED = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


@cache
def value_sets() -> dict[str, set[str]]:
    text = resources.files("conformance").joinpath("data/dmp-value-sets.json").read_text(encoding="utf-8")
    return {key: set(vs["codes"]) for key, vs in json.loads(text)["value_sets"].items()}


def is_feed(ex: Exchange) -> bool:
    """ITI-65 (POST to the FHIR base) or ITI-105 (POST DocumentReference)."""
    path = ex.path.rstrip("/")
    return ex.method == "POST" and path.endswith(("/fhir", "/fhir/Bundle", "/fhir/DocumentReference"))


def feeds(ev: ScenarioEvidence) -> list[Exchange]:
    found = [ex for ex in ev.http("dmp", method="POST") if is_feed(ex)]
    if not found:
        ev.require("a DMP feed (ITI-65 or ITI-105)", service="dmp", method="POST")
        fail("no evidence of a DMP feed (ITI-65 or ITI-105) in this scenario")
    return found


def entries(ex: Exchange) -> list[dict[str, Any]]:
    body = ex.json(response=False) or {}
    if body.get("resourceType") == "Bundle":
        return [entry.get("resource") or {} for entry in body.get("entry") or []]
    return [body]


def documents(ex: Exchange) -> list[dict[str, Any]]:
    return [r for r in entries(ex) if r.get("resourceType") == "DocumentReference"]


def codes(concept: dict[str, Any] | None) -> set[str]:
    return {c.get("code", "") for c in (concept or {}).get("coding") or []}


def cda_of(ex: Exchange) -> list[etree._Element]:
    """The CDA documents a feed carries (Binary.data or inline attachment data), parsed without entities."""
    blobs = [r.get("data") for r in entries(ex) if r.get("resourceType") == "Binary"]
    blobs += [c.get("attachment", {}).get("data") for d in documents(ex) for c in d.get("content") or []]
    out = []
    for blob in filter(None, blobs):
        try:
            root = etree.fromstring(base64.b64decode(blob), HARDENED)
        except (binascii.Error, etree.XMLSyntaxError, ValueError):
            continue
        if etree.QName(root).localname == "ClinicalDocument":
            out.append(root)
    return out


@check("DMP-01", ["DMP-STATUS-01"], scenarios=FEED_SCENARIOS, title="DMP status checked before feeding")
def status_before_feed(ev: ScenarioEvidence) -> None:
    """SC.DMP/CONF.01: before feeding, the software asks whether the patient's DMP exists and is open (TD0.2)."""
    first = feeds(ev)[0]
    checks = [
        ex
        for ex in ev.http("dmp", method="GET", path="/fhir/Patient")
        if ex.id < first.id and ev.patient in (ex.raw.get("query") or "")
    ]
    expect(checks, f"no DMP status check (GET Patient?identifier=…{ev.patient}) before {first.summary()}")
    expect(any(ex.ok for ex in checks), f"the DMP status check failed: {checks[-1].summary()}")


@check("DMP-02", ["DMP-STATUS-02"], scenarios=FEED_SCENARIOS, title="No consultation authorisation to feed")
def no_authorisation_for_feed(ev: ScenarioEvidence) -> None:
    """DMP/CONF.05: feeding or deleting needs no access authorisation (TD0.3); asking for one is a misuse."""
    feeds(ev)
    asked = [ex for ex in ev.http("dmp") if "/Consent" in ex.path]
    expect(
        not asked, f"the software asked for an access authorisation: {asked[0].summary() if asked else ''}"
    )


@check("DMP-03", ["DMP-FEED-01"], scenarios=CONTENT_SCENARIOS, title="ITI-65 bundle accepted by the DMP")
def feed_accepted(ev: ScenarioEvidence) -> str:
    """The software publishes a whole transaction Bundle (SubmissionSet, DocumentReference, Binary) that the
    DMP accepts; a refused bundle is shown with the DMP's OperationOutcome."""
    found = feeds(ev)
    accepted = [ex for ex in found if ex.ok]
    if not accepted:
        refused = found[-1]
        fail(
            f"the DMP refused every feed; last: {refused.summary()} {(refused.raw.get('response_body') or '')[:300]}"
        )
    for ex in accepted:
        kinds = {r.get("resourceType") for r in entries(ex)}
        if ex.path.rstrip("/").endswith("/fhir"):
            expect(
                {"List", "DocumentReference"} <= kinds,
                f"{ex.summary()}: bundle without SubmissionSet or DocumentReference",
            )
    return f"{len(accepted)} feed(s) accepted"


def in_value_set(found: set[str], known: set[str]) -> bool:
    """Membership, or True when the record masked the code (then the DMP's acceptance vouches for it)."""
    readable = found - {MASKED}
    return bool(readable & known) if readable else MASKED in found


@check("DMP-04", ["DMP-FEED-02"], scenarios=CONTENT_SCENARIOS, title="Metadata from the DMP code lists")
def metadata(ev: ScenarioEvidence) -> None:
    """SC.DMP/CONF.04 and PDSm: type (JDV_J66), class (J57), format (J60), a confidentiality label and an
    author, in documents the DMP accepted (it validates the value sets itself); the CDA's own code is a
    J66 type too."""
    known = value_sets()
    accepted = [ex for ex in feeds(ev) if ex.ok]
    expect(accepted, "the DMP accepted no document, so its metadata cannot be judged")
    for ex in accepted:
        for doc in documents(ex):
            expect(
                in_value_set(codes(doc.get("type")), known["type"]), f"{ex.summary()}: type not in JDV_J66"
            )
            category = codes((doc.get("category") or [{}])[0])
            expect(in_value_set(category, known["class"]), f"{ex.summary()}: class not in JDV_J57")
            formats = {c.get("format", {}).get("code", "") for c in doc.get("content") or []}
            expect(in_value_set(formats, known["format"]), f"{ex.summary()}: format not in JDV_J60")
            expect(doc.get("securityLabel"), f"{ex.summary()}: no confidentiality (securityLabel)")
            expect(doc.get("author"), f"{ex.summary()}: no author")
        for cda in cda_of(ex):
            code = cda.find("cda:code", CDA_NS)
            in_j66 = code is not None and code.get("code") in known["type"]
            expect(in_j66, f"{ex.summary()}: the CDA code is not a JDV_J66 type")


@check(
    "DMP-05", ["DMP-FEED-04"], scenarios=FEED_SCENARIOS, title="Professional identified in every DMP request"
)
def professional_identified(ev: ScenarioEvidence) -> None:
    """SC.DMP/AIRS.06: every DMP request carries the professional's PSC token, so the DMP knows the idNat."""
    calls = ev.require("a DMP request", service="dmp")
    for ex in [ex for ex in calls if ex.status < 500]:  # an injected failure answers before any check
        expect(ex.bearer, f"{ex.summary()}: no Bearer token")
        expect(ex.status != 401, f"{ex.summary()}: the token was refused")
        expect(
            ex.idnat == ev.professional, f"{ex.summary()}: made as {ex.idnat}, not as the test professional"
        )


@check(
    "DMP-06",
    ["INS-DOC-01"],
    scenarios=["dmp-feed", "parcours"],
    title="Qualified INS in the document and its metadata",
)
def ins_in_documents(ev: ScenarioEvidence) -> None:
    """The DocumentReference subject and the CDA recordTarget carry the INS with an INS OID (spec A9)."""
    for ex in [ex for ex in feeds(ev) if ex.ok]:
        for doc in documents(ex):
            subject = json.dumps(doc.get("subject") or {})
            expect(ev.patient in subject, f"{ex.summary()}: the subject does not name INS {ev.patient}")
            expect(any(oid in subject for oid in INS_OIDS), f"{ex.summary()}: the subject has no INS OID")
        cdas = cda_of(ex)
        expect(cdas, f"{ex.summary()}: no CDA document in the feed")
        for cda in cdas:
            ids = cda.findall("cda:recordTarget/cda:patientRole/cda:id", CDA_NS)
            expect(
                any(i.get("root") in INS_OIDS and i.get("extension") == ev.patient for i in ids),
                f"{ex.summary()}: the CDA recordTarget does not carry INS {ev.patient} with an INS OID",
            )


def supersedes(ex: Exchange, target: str) -> bool:
    """Whether the bundle also deprecates ``target`` (the UpdateDocumentRefs PATCH entry MHD requires)."""
    body = ex.json(response=False) or {}
    for entry in body.get("entry") or []:
        request = entry.get("request") or {}
        if request.get("method") == "PATCH" and target and target.endswith(str(request.get("url", ""))):
            return "superseded" in json.dumps(entry.get("resource"))
    return False


@check("DMP-07", ["DMP-REPLACE-01"], scenarios=["dmp-replace-delete"], title="Document replaced")
def replaced(ev: ScenarioEvidence) -> None:
    """A new version replaces the old one (relatesTo replaces) and deprecates it in the same bundle (status
    superseded), accepted by the DMP (dmp.md §3, MHD ITI-65 UpdateDocumentRefs)."""
    replacing = [
        ex
        for ex in feeds(ev)
        for doc in documents(ex)
        for rel in doc.get("relatesTo") or []
        if rel.get("code") in ("replaces", MASKED)
        and supersedes(ex, str((rel.get("target") or {}).get("reference", "")))
    ]
    expect(replacing, "no feed replaced a document (relatesTo replaces + PATCH status superseded)")
    expect(any(ex.ok for ex in replacing), f"the DMP refused the replacement: {replacing[-1].summary()}")


def is_masked_visibility(body: str) -> bool:
    """A TRE_A07 visibility label whose code the record masked (every TRE_A07 code restricts visibility)."""
    return "TRE_A07" in body and MASKED in body


def patches(ev: ScenarioEvidence) -> list[tuple[Exchange, str]]:
    return [(ex, ex.raw.get("request_body") or "") for ex in ev.http("dmp", method="PATCH")]


@check("DMP-08", ["DMP-DELETE-01"], scenarios=["dmp-replace-delete"], title="Document deleted")
def deleted(ev: ScenarioEvidence) -> None:
    """SC.DMP/CONF.03: the author deletes a document it published (PATCH status entered-in-error, TD3.3c)."""
    found = [ex for ex, body in patches(ev) if "entered-in-error" in body]
    expect(found, "no deletion (PATCH status entered-in-error)")
    expect(any(ex.ok for ex in found), f"the DMP refused the deletion: {found[-1].summary()}")


@check("DMP-09", ["DMP-MASK-01"], scenarios=["dmp-replace-delete"], title="Document masked")
def masked(ev: ScenarioEvidence) -> None:
    """A document is masked from professionals or made invisible to the patient (TD3.3a/b, securityLabel)."""
    found = [
        ex for ex, body in patches(ev) if any(mask in body for mask in MASKS) or is_masked_visibility(body)
    ]
    expect(found, "no masking (PATCH securityLabel MASQUE_PS or INVISIBLE_PATIENT)")
    expect(any(ex.ok for ex in found), f"the DMP refused the masking: {found[-1].summary()}")


@check(
    "DMP-10",
    ["DMP-ROBUST-01"],
    scenarios=["dmp-unavailable"],
    title="Retry or clean error when the DMP fails",
)
def robust(ev: ScenarioEvidence) -> str:
    """With the DMP answering 503 once, the software retries (the document is then stored once) or stops
    with a clear error; it never claims success for a document the DMP did not store."""
    found = feeds(ev)
    failed = [ex for ex in found if ex.status >= 500]
    if not failed:
        not_tested("the injected DMP failure was never hit")
    later = [ex for ex in found if ex.id > failed[0].id and ex.ok]
    if later:
        stored = [ex for ex in found if ex.ok]
        expect(len(stored) == 1, f"the document was stored {len(stored)} times")
        return "retried after the failure; stored once"
    expect(not ev.driver.completed or ev.driver.reported.get("outcome") == "error",
           "the DMP never stored the document, yet the software reported success")  # fmt: skip
    return "stopped with a clean error"


@check("DMP-11", ["DMP-HISTO-01"], scenarios=["parcours"], title="The DMP history shows the access")
def history(ev: ScenarioEvidence) -> str:
    """The software shows the patient's DMP access history (AuditEvent), in which its own accesses appear,
    by this professional through this software (every access is traced; the patient may read the traces —
    dmp.md §14)."""
    reads = ev.require("a read of the DMP history", service="dmp", method="GET", path="/fhir/AuditEvent")
    shown = [
        ex
        for ex in reads
        if ex.ok and ev.professional in (body := ex.raw.get("response_body") or "") and ev.client_id in body
    ]
    expect(shown, f"the history read ({reads[-1].summary()}) does not show this software's own access")
    mine = (shown[-1].raw.get("response_body") or "").count(ev.client_id)
    return f"the history lists {mine} access(es) by this software"


def unique_ids(ex: Exchange) -> list[str]:
    return [str((doc.get("masterIdentifier") or {}).get("value", "")) for doc in documents(ex)]


@check("DMP-12", ["DMP-ROBUST-01"], scenarios=["dmp-slow"], title="Waits for a slow DMP, sends once")
def patient_with_slow_dmp(ev: ScenarioEvidence) -> str:
    """With the DMP slow to answer, the software waits for the answer (or retries only what was not
    stored): each document is stored once, and the software knows it was."""
    stored = [uid for ex in feeds(ev) if ex.ok for uid in unique_ids(ex)]
    expect(stored, f"no document was stored: the software did not wait for the DMP ({ev.driver.describe()})")
    twice = sorted({uid for uid in stored if stored.count(uid) > 1})
    expect(not twice, f"the same document was stored {stored.count(twice[0]) if twice else 0} times: {twice}")
    expect(ev.driver.completed, f"the document was stored but the software reported: {ev.driver.describe()}")
    slowest = max(ex.raw.get("duration_ms", 0) for ex in feeds(ev))
    return f"waited {slowest / 1000:.1f} s; stored once"
