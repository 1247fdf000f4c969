"""The DMP's CapabilityStatement: what socle's Gestionnaire de partage de documents supports."""

from __future__ import annotations

from typing import Any

from services.kernel.fhir import capability_statement

from . import codes
from .search import DATE_COLUMNS, FRAMED_COLUMNS, TOKEN_COLUMNS

SEARCH_TYPES = {
    "patient": "reference",
    "patient.identifier": "token",
    "status": "token",
    **{name: "token" for name in TOKEN_COLUMNS},
    **{name: "token" for name in FRAMED_COLUMNS},
    **{name: "date" for name in DATE_COLUMNS},
    "period": "date",
    "identifier": "token",
    "relatesto": "reference",
    "related": "reference",
    "author": "reference",
    "author.given": "string",
    "author.family": "string",
    "isArchived": "token",
    "_id": "token",
}


def capability(base_url: str) -> dict[str, Any]:
    resources = [
        {
            "type": "DocumentReference",
            "supportedProfile": [
                codes.profile("PDSm_ComprehensiveDocumentReference"),
                codes.profile("PDSm_SimplifiedPublish"),
            ],
            "interaction": [{"code": c} for c in ("read", "search-type", "patch", "create")],
            "conditionalUpdate": True,
            "searchParam": [{"name": name, "type": kind} for name, kind in SEARCH_TYPES.items()],
        },
        {"type": "Binary", "interaction": [{"code": "read"}]},
        {
            "type": "List",
            "supportedProfile": [codes.profile("PDSm_SubmissionSetComprehensive")],
            "interaction": [{"code": "search-type"}],
            "searchParam": [
                {"name": name, "type": kind}
                for name, kind in (
                    ("patient", "reference"),
                    ("patient.identifier", "token"),
                    ("code", "token"),
                    ("status", "token"),
                    ("date", "date"),
                )
            ],
        },
        {
            "type": "Patient",
            "interaction": [{"code": "search-type"}],
            "searchParam": [{"name": "identifier", "type": "token"}],
            "operation": [
                {
                    "name": name.lstrip("$"),
                    "definition": f"{base_url}/fhir/OperationDefinition/{name.lstrip('$')}",
                }
                for name in (
                    "$dmp-status",
                    "$create-dmp",
                    "$close-dmp",
                    "$reopen-dmp",
                    "$opposition",
                    "$block",
                    "$unblock",
                    "$medecin-traitant",
                )
            ],
        },
        {
            "type": "AuditEvent",
            "interaction": [{"code": "search-type"}],
            "searchParam": [
                {"name": "patient", "type": "reference"},
                {"name": "patient.identifier", "type": "token"},
            ],
        },
    ]
    statement = capability_statement(
        name="SocleDMP",
        title="socle DMP — PDSm / IHE MHD Document Recipient and Responder",
        base_url=f"{base_url}/fhir",
        resources=resources,
        instantiates=[
            "https://interop.esante.gouv.fr/ig/fhir/pdsm/CapabilityStatement/PDSm-GestionnaireDePartageDeDocuments",
            "https://profiles.ihe.net/ITI/MHD/CapabilityStatement/IHE.MHD.DocumentRecipient",
            "https://profiles.ihe.net/ITI/MHD/CapabilityStatement/IHE.MHD.DocumentResponder",
        ],
    )
    statement["format"] = ["application/fhir+json", "application/fhir+xml", "json", "xml"]
    statement["patchFormat"] = [
        "application/json-patch+json",
        "application/fhir+json",
        "application/fhir+xml",
    ]
    statement["rest"][0]["interaction"] = [
        {"code": "transaction", "documentation": "ITI-65 Provide Document Bundle"}
    ]
    statement["rest"][0]["security"]["description"] += (
        "; access mode in X-DMP-Access-Mode (normal, bris_de_glace, centre_15) and X-DMP-Access-Reason"
    )
    return statement
