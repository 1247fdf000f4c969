"""Pure rules: security-label semantics of PATCH, date bounds, identity status reading, CDA parsing."""

from __future__ import annotations

import pytest

from services.dmp.cda import parse_cda
from services.dmp.dates import normalise, parse_bound
from services.dmp.identity import identity_status
from services.dmp.patch import apply_labels, from_json_patch
from services.kernel.errors import BadRequest, MethodNotAllowed, Unprocessable
from tests.dmp.builders import HL7_CONF, TRE_A07


def labels_after(current: list[str], path: str, system: str, code: str, op: str = "replace") -> list[str]:
    change = from_json_patch(
        [{"op": op, "path": path, "value": {"system": system, "code": code}}], current, []
    )
    return apply_labels(current, change)


def test_p4d_mask_and_unmask_keep_the_confidentiality_level() -> None:
    masked = labels_after(["R"], "/securityLabel/0", TRE_A07, "MASQUE_PS")
    assert masked == ["MASQUE_PS", "R"]
    hidden = labels_after(masked, "/securityLabel/0", TRE_A07, "INVISIBLE_PATIENT")
    assert hidden == ["INVISIBLE_PATIENT", "MASQUE_PS", "R"]
    assert labels_after(hidden, "/securityLabel/0", HL7_CONF, "N") == ["MASQUE_PS", "R"]
    assert labels_after(["N"], "/securityLabel/0", HL7_CONF, "V") == ["V"]


def test_label_patches_refused() -> None:
    with pytest.raises(Unprocessable):
        labels_after(["N"], "/securityLabel/0", TRE_A07, "MASQUE_PT")
    with pytest.raises(Unprocessable):
        from_json_patch([{"op": "remove", "path": "/securityLabel/0"}], ["N"], [])
    with pytest.raises(MethodNotAllowed):
        from_json_patch([{"op": "replace", "path": "/date", "value": "2020"}], ["N"], [])
    with pytest.raises(MethodNotAllowed):
        from_json_patch([{"op": "move", "from": "/status", "path": "/status"}], ["N"], [])
    with pytest.raises(BadRequest):
        from_json_patch({"op": "replace"}, ["N"], [])


def test_dates_sort_in_time_order_and_bounds_parse() -> None:
    assert normalise("2026-11-20T10:00:00+01:00") == "2026-11-20T09:00:00Z"
    assert normalise("2026-11") == "2026-11"
    assert parse_bound("ge2026-01-01", "date") == ("ge", "2026-01-01")
    with pytest.raises(BadRequest):
        parse_bound("ap2026", "date")
    with pytest.raises(ValueError):
        normalise("2026-11-20T10:00:00")


def test_identity_status_of_an_ins_answer() -> None:
    url = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
    patient = {
        "resourceType": "Patient",
        "extension": [
            {"url": url, "extension": [{"url": "identityStatus", "valueCoding": {"code": "QUAL"}}]}
        ],
    }
    assert identity_status({"entry": [{"resource": patient}]}) == "QUAL"
    assert identity_status({"entry": []}) is None
    assert identity_status({"entry": [{"resource": {"resourceType": "Patient"}}]}) == ""


@pytest.mark.parametrize(
    "document",
    [
        b'<!DOCTYPE x SYSTEM "http://example.org/x.dtd"><ClinicalDocument xmlns="urn:hl7-org:v3"/>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b"<ClinicalDocument>not v3</ClinicalDocument>",
        b"<unclosed",
    ],
)
def test_unsafe_or_foreign_xml_is_not_a_cda(document: bytes) -> None:
    with pytest.raises(ValueError):
        parse_cda(document)
