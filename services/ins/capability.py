"""The CapabilityStatement of the INS FHIR API: a PDQm Patient Demographics Supplier (ITI-78, ITI-119)."""

from __future__ import annotations

from typing import Any

from services.kernel.fhir import capability_statement

from .representation import PROFILE_PATIENT_INS

PDQM_SUPPLIER = "https://profiles.ihe.net/ITI/PDQm/CapabilityStatement/IHE.PDQm.PatientDemographicsSupplier"
SEARCH_PARAMS = [
    ("_id", "token", "the 15-character INS"),
    ("identifier", "token", "INS: <system>|<value> (urn:oid:1.2.250.1.213.1.4.8/9/10/11) or <value>"),
    ("family", "string", "birth name (prefix; :exact supported), compared without accents"),
    ("given", "string", "one birth first name"),
    ("gender", "token", "male | female"),
    ("birthdate", "date", "YYYY-MM-DD"),
]


def capability(base_url: str) -> dict[str, Any]:
    return capability_statement(
        name="SocleINS",
        title="INS (simulated): identity base with INSi semantics",
        base_url=base_url,
        instantiates=[PDQM_SUPPLIER],
        resources=[
            {
                "type": "Patient",
                "supportedProfile": [PROFILE_PATIENT_INS],
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "searchParam": [
                    {"name": name, "type": kind, "documentation": doc} for name, kind, doc in SEARCH_PARAMS
                ],
                "operation": [
                    {
                        "name": "match",
                        "definition": "http://hl7.org/fhir/OperationDefinition/Patient-match",
                        "documentation": "ITI-119 with INSi semantics: onlyCertainMatches gives one match or an OperationOutcome",
                    }
                ],
            }
        ],
    )
