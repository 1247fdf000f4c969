"""INS inside ``socle up``: a professional's real PSC token on the FHIR API, recorded in the traffic."""

from __future__ import annotations

import httpx

from tests.psc_login import login
from tests.support import RunningStack

REFERENCE = "297022A02077878"


def test_a_professional_token_opens_the_fhir_api(stack: RunningStack) -> None:
    tokens = login(stack.base_url)
    with stack.client(headers={"Authorization": f"Bearer {tokens['access_token']}"}) as http:
        found = http.get(
            "/ins/fhir/Patient", params={"identifier": f"urn:oid:1.2.250.1.213.1.4.8|{REFERENCE}"}
        )
        assert found.status_code == 200, found.text
        patient = found.json()["entry"][0]["resource"]
        assert patient["id"] == REFERENCE
        assert found.json()["entry"][0]["fullUrl"] == f"{stack.base_url}/ins/fhir/Patient/{REFERENCE}"
        forged = http.get(
            "/ins/fhir/Patient",
            params={"identifier": REFERENCE},
            headers={"Authorization": "Bearer not.a.jwt"},
        )
        assert forged.status_code == 401
    traffic = httpx.get(
        f"{stack.base_url}/_sim/traffic", params={"service": "ins", "patient": REFERENCE, "status": 200}
    ).json()
    assert any(e["idnat"] for e in traffic["exchanges"])
