"""``socle seed --documents N``: bulk documents for load tests, spread over patients with an open DMP.

Patients are the bulk people of ``synthetic.people`` (the same ones INS seeds with ``--patients``,
same seed) plus the fixed patients whose DMP is open; each gets an open DMP record. Documents are
written with executemany in large transactions, each a small text document with its Binary, a valid
PDSm DocumentReference and the search keys ITI-67 uses; about one in twenty is masked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import uuid
from collections.abc import Iterator
from itertools import islice
from typing import Any

from sqlalchemy import func, insert, select

from services.kernel.bulk import Advance, SeedPlan
from services.kernel.db import Database
from services.kernel.fixtures import build_fixtures
from services.kernel.settings import Settings
from services.kernel.synthetic import people

from . import codes
from .dates import now
from .models import TABLES, DmpBinary, DmpDocument, DmpRecord

BATCH = 20_000
DOCUMENTS_PER_PATIENT = 10
KINDS = [
    ("11488-4", "10"),
    ("34112-3", "10"),
    ("11502-2", "10"),
    ("18748-4", "31"),
    ("57833-6", "42"),
    ("60591-5", "11"),
]
TEXT_FORMAT = "urn:ihe:iti:xds-sd:text:2008"
BULK_ROOT = "urn:oid:1.2.250.1.213.9"
"""uniqueId root of bulk documents (a second run continues the numbering)."""


def planned(plan: SeedPlan) -> int:
    return plan.documents


def patients_for(settings: Settings, plan: SeedPlan) -> list[tuple[str, str]]:
    """(INS, INS system) of the patients the documents are spread over."""
    count = plan.patients or max(1, plan.documents // DOCUMENTS_PER_PATIENT)
    bulk = [(p.ins, f"urn:oid:{p.oid}") for p in people(count, seed=plan.seed)]
    fixed = [(p.ins, f"urn:oid:{p.oid}") for p in build_fixtures(settings).patients if p.dmp == "open"]
    return bulk + fixed


def _document(
    index: int, ins: str, system: str, rng: random.Random, stamp: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    type_code, class_code = KINDS[index % len(KINDS)]
    day = f"{2015 + rng.randrange(12)}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}T{rng.randrange(24):02d}:00:00Z"
    masked = rng.random() < 0.05
    labels = ["MASQUE_PS", "N"] if masked else ["N"]
    author = f"8{rng.randrange(10**10, 10**11)}"
    data = f"Document de test {index} pour {ins}\n".encode()
    document_id, binary_id = str(uuid.uuid4()), str(uuid.uuid4())
    digest = base64.b64encode(hashlib.sha1(data).digest()).decode()
    resource = {
        "resourceType": "DocumentReference",
        "id": document_id,
        "meta": {
            "versionId": "1",
            "lastUpdated": stamp,
            "profile": [codes.profile("PDSm_ComprehensiveDocumentReference")],
        },
        "contained": [
            {
                "resourceType": "Practitioner",
                "id": "author",
                "identifier": [{"system": codes.IDNPS, "value": author}],
            }
        ],
        "masterIdentifier": {"system": codes.RFC3986, "value": f"{BULK_ROOT}.{index}"},
        "identifier": [{"use": "official", "system": codes.RFC3986, "value": f"urn:uuid:{document_id}"}],
        "status": "current",
        "type": {"coding": [{"system": codes.LOINC, "code": type_code}]},
        "category": [{"coding": [{"system": codes.TRE_A03, "code": class_code}]}],
        "subject": {"identifier": {"system": system, "value": ins}},
        "date": day,
        "author": [{"reference": "#author"}],
        "securityLabel": [
            {
                "coding": [
                    {"system": codes.TRE_A07 if c == "MASQUE_PS" else codes.HL7_CONFIDENTIALITY, "code": c}
                ]
            }
            for c in labels
        ],
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain",
                    "language": "fr-FR",
                    "url": f"Binary/{binary_id}",
                    "size": len(data),
                    "hash": digest,
                    "title": "Document de test",
                    "creation": day,
                },
                "format": {
                    "system": "https://mos.esante.gouv.fr/NOS/TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode",
                    "code": TEXT_FORMAT,
                },
            }
        ],
        "context": {"period": {"start": day}},
    }
    row = {
        "id": document_id,
        "patient_ins": ins,
        "status": "current",
        "unique_id": resource["masterIdentifier"]["value"],
        "type_code": type_code,
        "class_code": class_code,
        "format_code": TEXT_FORMAT,
        "facility_code": "SA07",
        "setting_code": "AMBULATOIRE",
        "security": "|" + "".join(f"{c}|" for c in labels),
        "event_codes": "|",
        "related": "|",
        "is_archived": False,
        "date": day,
        "creation": day,
        "period_start": day,
        "period_end": "",
        "authors": f"|{author}|",
        "author_names": "|",
        "replaces": "",
        "binary_id": binary_id,
        "version": 1,
        "last_updated": stamp,
        "resource": json.dumps(resource, ensure_ascii=False),
    }
    return row, {"id": binary_id, "content_type": "text/plain", "data": data}


def _documents(
    patients: list[tuple[str, str]], count: int, seed: int, start: int
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    rng = random.Random(seed * 7919 + start)
    stamp = now()
    for index in range(start, start + count):
        ins, system = patients[index % len(patients)]
        yield _document(index, ins, system, rng, stamp)


def seed(settings: Settings, plan: SeedPlan, advance: Advance) -> int:
    if plan.documents <= 0:
        return 0
    db = Database(settings.database_for(), TABLES, schema="dmp")
    try:
        db.create_tables()
        patients = patients_for(settings, plan)
        with db.transaction() as session:
            known = set(session.execute(select(DmpRecord.ins)).scalars())
            fresh = [
                {"ins": ins, "state": "open", "opposition": False, "updated": now()}
                for ins, _ in patients
                if ins not in known
            ]
            if fresh:
                session.execute(insert(DmpRecord), fresh)
            bulk_rows = DmpDocument.unique_id.like(f"{BULK_ROOT}.%")  # type: ignore[attr-defined]
            already = session.execute(
                select(func.count()).select_from(DmpDocument).where(bulk_rows)
            ).scalar_one()
        generated = _documents(patients, plan.documents, plan.seed, already)
        written = 0
        while batch := list(islice(generated, BATCH)):
            with db.transaction() as session:
                session.execute(insert(DmpBinary), [binary for _, binary in batch])
                session.execute(insert(DmpDocument), [row for row, _ in batch])
            written += len(batch)
            advance(len(batch))
        return written
    finally:
        db.dispose()
