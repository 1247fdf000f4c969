"""``socle up`` as a real process on free ports, probed with httpx like a vendor's script would."""

from __future__ import annotations

import socket
import time

import httpx

from tests.support import RunningStack

SERVICES = {"prosanteconnect", "annuaire", "ins", "dmp", "mssante"}


def test_health_reports_every_service_ready(stack: RunningStack) -> None:
    health = httpx.get(f"{stack.base_url}/_sim/health").json()
    assert health["status"] == "ready"
    assert set(health["services"]) == SERVICES
    assert health["services"]["dmp"]["components"]["app"]["url"] == f"{stack.base_url}/dmp"


def test_fixtures_publish_the_contract_anchors(stack: RunningStack) -> None:
    fixtures = httpx.get(f"{stack.base_url}/_sim/fixtures").json()
    assert fixtures["anchors"]["reference_patient"] == "297022A02077878"
    first = fixtures["professionals"][0]
    assert fixtures["anchors"]["first_professional"] == first["idnat"]
    assert first["idnat"].startswith("8") and len(first["idnat"]) == 12


def test_unknown_paths_answer_in_each_services_error_format(stack: RunningStack) -> None:
    with stack.client() as client:
        dmp = client.get("/dmp/no/such/path")
        assert dmp.status_code == 404
        assert dmp.headers["content-type"].startswith("application/fhir+json")
        assert dmp.json()["resourceType"] == "OperationOutcome"
        assert dmp.json()["issue"][0]["code"] == "not-found"
        psc = client.get("/psc/no/such/path")
        assert psc.status_code == 404 and psc.json()["error"] == "invalid_request"
        mss = client.get("/mss/no/such/path")
        assert mss.status_code == 404 and mss.json()["error"] == "not-found"


def test_a_body_over_the_limit_is_refused_before_it_is_read(stack: RunningStack) -> None:
    """The client announces 200 MiB and sends none of it: the answer must come anyway."""
    with socket.create_connection(("127.0.0.1", stack.port), timeout=10) as sock:
        sock.sendall(
            b"POST /dmp/fhir HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\n"
            b"Content-Length: 209715200\r\n\r\n"
        )
        received = b""
        while b'"too-long"' not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        answer = received.decode()
    assert answer.startswith("HTTP/1.1 413")
    assert '"too-long"' in answer


def test_invalid_json_gets_a_clear_400(stack: RunningStack) -> None:
    with stack.client() as client:
        response = client.post(
            "/_sim/faults", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert "invalid JSON" in response.json()["message"]


def test_traffic_records_requests_with_masked_secrets_and_filters(stack: RunningStack) -> None:
    with stack.client() as client:
        marker = f"/dmp/traced-{time.monotonic_ns()}"
        client.get(marker, headers={"Authorization": "Bearer secret-token", "X-Socle-Run": "run-42"})
        page = client.get("/_sim/traffic", params={"path": marker}).json()
        assert page["total"] == 1
        exchange = page["exchanges"][0]
        assert exchange["service"] == "dmp" and exchange["status"] == 404 and exchange["run"] == "run-42"
        assert exchange["request_headers"]["authorization"] == "Bearer ***"
        assert "secret-token" not in str(exchange)
        one = client.get(f"/_sim/traffic/{exchange['id']}").json()
        assert one["response_body"] and "OperationOutcome" in one["response_body"]
        by_run = client.get("/_sim/traffic", params={"run": "run-42", "bodies": "false"}).json()
        assert [e["path"] for e in by_run["exchanges"]] == [marker]
        assert "request_body" not in by_run["exchanges"][0]
        assert client.get("/_sim/traffic/999999999").status_code == 404


def test_faults_inject_a_status_for_a_number_of_requests_then_stop(stack: RunningStack) -> None:
    with stack.client() as client:
        rule = client.post(
            "/_sim/faults", json={"service": "ins", "path": "/faulty", "status": 503, "count": 2}
        )
        assert rule.status_code == 201
        statuses = [client.get("/ins/faulty/x").status_code for _ in range(3)]
        assert statuses == [503, 503, 404]
        assert client.get("/_sim/faults").json() == []


def test_faults_can_add_latency(stack: RunningStack) -> None:
    with stack.client() as client:
        client.post(
            "/_sim/faults", json={"service": "mssante", "path": "/slow", "latency_ms": 300, "count": 1}
        )
        started = time.monotonic()
        client.get("/mss/slow")
        assert time.monotonic() - started >= 0.3
        client.delete("/_sim/faults")


def test_invalid_fault_rules_are_refused(stack: RunningStack) -> None:
    with stack.client() as client:
        response = client.post("/_sim/faults", json={"service": "dmp", "status": 200})
        assert response.status_code == 400
        assert client.get("/_sim/faults").json() == []
