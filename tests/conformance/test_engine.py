"""The engine without a stack: catalogue, check verdicts, roll-up, exit code, drivers, reports."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from defusedxml import ElementTree

from conformance.catalogue import Requirement, catalogue, parse_catalogue
from conformance.checks import Check, Status, all_checks, expect, fail, not_tested
from conformance.driver import DriverEnv, driver_command, run_driver
from conformance.engine import evaluate_check, exit_code, roll_up, uncovered
from conformance.evidence import DriverOutcome, Exchange, ScenarioEvidence
from conformance.report_model import RunReport
from conformance.reports import write_html, write_junit
from conformance.scenarios import SCENARIOS

SEGUR_ID = re.compile(r"^(SC\.)?[A-Z]+([./][A-Za-z0-9-]+)*\.\d\d$")


def exchange(id: int, path: str, **extra: Any) -> Exchange:
    raw = {"id": id, "service": "prosanteconnect", "method": "GET", "path": path, "status": 200, **extra}
    return Exchange(raw)


def evidence(*exchanges: Exchange, driver: DriverOutcome | None = None) -> ScenarioEvidence:
    return ScenarioEvidence(
        scenario="psc-login",
        run_id="run-1",
        client_id="c1",
        patient="297022A02077878",
        professional="810000000017",
        exchanges=list(exchanges),
        driver=driver or DriverOutcome(exit_code=0),
    )


def make_check(function: Any) -> Check:
    return Check("T-01", ("PSC-FLOW-03",), ("psc-login",), "test", function)


def test_catalogue_is_consistent() -> None:
    requirements = catalogue()
    assert len(requirements) >= 30
    for requirement in requirements.values():
        for segur in requirement.segur:
            assert SEGUR_ID.match(segur), segur
        assert requirement.automated or requirement.reason
    services = {r.service for r in requirements.values()}
    assert services == {"prosanteconnect", "ins", "dmp", "mssante"}


def test_every_check_proves_known_requirements_from_known_scenarios() -> None:
    requirements = catalogue()
    scenario_ids = {s.id for s in SCENARIOS}
    for check in all_checks().values():
        assert set(check.requirements) <= set(requirements), check.id
        assert set(check.scenarios) <= scenario_ids, check.id
        assert check.description, f"{check.id} has no docstring"


def test_catalogue_refuses_duplicates_and_unknown_values() -> None:
    item = {"id": "X-1", "title": "t", "nature": "DOIT", "profiles": ["lgc"], "service": "dmp"}
    with pytest.raises(ValueError, match="twice"):
        parse_catalogue({"requirements": [item, item]})
    with pytest.raises(ValueError, match="nature"):
        parse_catalogue({"requirements": [{**item, "nature": "DEVRAIT"}]})
    with pytest.raises(ValueError, match="profiles"):
        parse_catalogue({"requirements": [{**item, "profiles": ["garage"]}]})


def test_verdicts_of_a_check() -> None:
    def passes(ev: ScenarioEvidence) -> str:
        ev.require("an auth request", path="/auth")
        return "fine"

    def fails(ev: ScenarioEvidence) -> None:
        expect(False, "acr_values missing")

    def skipped(ev: ScenarioEvidence) -> None:
        not_tested("never reached")

    def broken(ev: ScenarioEvidence) -> None:
        raise KeyError("oops")

    ev = evidence(exchange(1, "/psc/auth"))
    result = evaluate_check(make_check(passes), ev, "psc-login")
    assert (result.status, result.message) == (Status.PASS, "fine")
    assert [e["id"] for e in result.evidence] == [1]
    assert evaluate_check(make_check(fails), ev, "psc-login").status is Status.FAIL
    assert evaluate_check(make_check(skipped), ev, "psc-login").status is Status.NOT_TESTED
    errored = evaluate_check(make_check(broken), ev, "psc-login")
    assert errored.status is Status.ERROR
    assert "KeyError" in errored.message
    assert evaluate_check(make_check(passes), None, "psc-login").status is Status.NOT_TESTED


def test_no_evidence_fails_with_the_driver_reason() -> None:
    def needs_auth(ev: ScenarioEvidence) -> None:
        ev.require("an auth request", path="/auth")

    crashed = evidence(driver=DriverOutcome(exit_code=3))
    result = evaluate_check(make_check(needs_auth), crashed, "psc-login")
    assert result.status is Status.FAIL
    assert "exited with code 3" in result.message
    other = evidence(exchange(1, "/psc/token"))
    assert "no evidence of an auth request" in evaluate_check(make_check(needs_auth), other, "x").message


def requirement(id: str, nature: str = "DOIT", verification: str = "automated") -> Requirement:
    return Requirement(
        id, (), id, nature, ("lgc",), "dmp", verification, "why" if verification == "manual" else ""
    )


def test_roll_up_and_exit_code() -> None:
    reqs = {
        r.id: r for r in (requirement("A"), requirement("B", "PEUT"), requirement("C", verification="manual"))
    }
    check = Check("K", ("A", "B"), ("s",), "k", lambda ev: None)

    def results(*statuses: Status) -> list[Any]:
        out = []
        for scenario, status in enumerate(statuses):
            result = evaluate_check(check, None, str(scenario))
            result.status = status
            out.append(result)
        return out

    rolled = roll_up(reqs, results(Status.PASS, Status.PASS), "lgc")
    assert [r.status for r in rolled] == [Status.PASS, Status.PASS, Status.NOT_TESTED]
    assert exit_code(rolled) == 0, "a manual requirement never blocks"
    rolled = roll_up(reqs, results(Status.PASS, Status.FAIL), "lgc")
    assert rolled[0].status is Status.FAIL and exit_code(rolled) == 1
    rolled = roll_up(reqs, results(Status.PASS, Status.NOT_TESTED), "lgc")
    assert exit_code(rolled) == 1, "not tested is not a pass"
    assert exit_code(roll_up(reqs, results(Status.PASS), "bio")) == 1, "nothing applicable: never green"
    only_optional = roll_up({"B": reqs["B"]}, results(Status.FAIL), "lgc")
    assert only_optional[0].blocking is False


def test_coverage_lists_automated_requirements_without_checks() -> None:
    reqs = {"A": requirement("A"), "M": requirement("M", verification="manual"), "Z": requirement("Z")}
    checks = {"K": Check("K", ("A",), ("s",), "k", lambda ev: None)}
    assert [r.id for r in uncovered(reqs, checks)] == ["Z"]


def env() -> DriverEnv:
    return DriverEnv({"CONFORMANCE_SCENARIO": "psc-login"})


def test_driver_receives_the_scenario_and_can_report(tmp_path: Path) -> None:
    script = tmp_path / "driver.py"
    script.write_text(
        "import json, os\n"
        "open(os.environ['CONFORMANCE_RESULT_FILE'], 'w').write(json.dumps("
        "{'outcome': 'refused', 'scenario': os.environ['CONFORMANCE_SCENARIO']}))\n"
    )
    outcome = run_driver([sys.executable, str(script)], env(), timeout=30)
    assert outcome.completed and outcome.refused
    assert outcome.reported["scenario"] == "psc-login"


def test_crashing_hanging_and_missing_drivers_are_never_completed(tmp_path: Path) -> None:
    crashed = run_driver(f"{sys.executable} -c 'import sys; print(\"boom\"); sys.exit(3)'", env(), timeout=30)
    assert crashed.exit_code == 3 and not crashed.completed and "boom" in crashed.output
    hung = run_driver(f"{sys.executable} -c 'import time; time.sleep(60)'", env(), timeout=0.5)
    assert hung.timed_out and not hung.completed and "killed" in hung.describe()
    missing = run_driver([str(tmp_path / "no-such-driver")], env(), timeout=5)
    assert missing.exit_code is None and "could not start" in missing.describe()


def test_reference_driver_names_the_bundled_client() -> None:
    assert driver_command("reference")[-1] == "conformance.reference_client"
    assert driver_command("reference:no-pkce")[-2:] == ["--mutant", "no-pkce"]
    assert driver_command("./my-lps --ci") == "./my-lps --ci"


def sample_report() -> RunReport:
    ex = exchange(7, "/psc/auth", query="acr_values=eidas2", request_body="", response_body='{"a": 1}')
    checks = [
        {
            "check": "PSC-03",
            "scenario": "psc-login",
            "status": "fail",
            "message": "acr_values is 'eidas2'",
            "title": "acr",
            "requirements": ["PSC-FLOW-03"],
            "evidence": [ex.raw],
        },
        {
            "check": "PSC-02",
            "scenario": "psc-login",
            "status": "pass",
            "message": "ok",
            "title": "pkce",
            "requirements": ["PSC-FLOW-02"],
            "evidence": [],
        },
    ]
    requirements = [
        {
            **catalogue()["PSC-FLOW-03"].as_json(),
            "status": "fail",
            "applicable": True,
            "blocking": True,
            "checks": ["PSC-03@psc-login"],
        },
        {
            **catalogue()["PSC-FLOW-02"].as_json(),
            "status": "pass",
            "applicable": True,
            "blocking": True,
            "checks": ["PSC-02@psc-login"],
        },
        {
            **catalogue()["MSS-TOKEN-01"].as_json(),
            "status": "not-tested",
            "applicable": True,
            "blocking": False,
            "checks": [],
        },
    ]
    return RunReport(
        "run-x",
        "http://s",
        "lgc",
        "reference",
        "c1",
        "2026-01-01T00:00:00",
        1.5,
        [
            {
                "id": "psc-login",
                "title": "t",
                "exchanges": 1,
                "exit_code": 0,
                "timed_out": False,
                "reported": {},
                "error": "",
                "output": "<script>x</script>",
                "duration_s": 0.5,
            }
        ],
        checks,
        requirements,
        1,
    )


def test_reports_junit_html_and_json_round_trip(tmp_path: Path) -> None:
    report = sample_report()
    report.write(tmp_path / "run.json")
    assert RunReport.read(tmp_path / "run.json") == report
    write_junit(report, tmp_path / "junit.xml")
    suites = {s.get("name"): s for s in ElementTree.parse(tmp_path / "junit.xml").getroot()}
    psc, mss = suites["prosanteconnect"], suites["mssante"]
    assert (psc.get("tests"), psc.get("failures"), psc.get("skipped")) == ("2", "1", "0")
    assert (mss.get("tests"), mss.get("skipped")) == ("1", "1")
    assert "manual proof" in mss.find("testcase/skipped").get("message")
    failure = psc.find("testcase/failure")
    assert "acr_values is 'eidas2'" in failure.get("message")
    write_html(report, tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text()
    assert "PSC.08" in html and "acr_values=eidas2" in html and "NOT PASSED" in html
    assert "<script>x</script>" not in html, "driver output is escaped"


def test_json_report_refuses_other_files(tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text('{"schema": "other"}')
    with pytest.raises(ValueError, match="not a socle conformance run"):
        RunReport.read(tmp_path / "other.json")


def test_fail_helper_raises() -> None:
    with pytest.raises(Exception, match="nope"):
        fail("nope")


def test_only_scenarios_that_share_nothing_run_side_by_side() -> None:
    from conformance.session import batches

    groups = batches(list(SCENARIOS), parallel=True)
    together = groups[0]
    assert together and all(not s.faults and "mssante" not in s.services for s in together)
    assert all(len(group) == 1 for group in groups[1:])
    assert {s.id for s in SCENARIOS if s.faults or "mssante" in s.services} == {g[0].id for g in groups[1:]}
    assert sum(len(group) for group in groups) == len(SCENARIOS)
    assert all(len(group) == 1 for group in batches(list(SCENARIOS), parallel=False))


def test_evidence_read_through_masked_codes() -> None:
    """The traffic record masks every ``code`` value; checks fall back on what stays readable."""
    from conformance.suites.dmp import in_value_set
    from conformance.suites.ins import identity_status

    reliability = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"

    def patient(code: str, display: str) -> dict[str, Any]:
        coding = {"code": code, "display": display}
        return {
            "extension": [
                {"url": reliability, "extension": [{"url": "identityStatus", "valueCoding": coding}]}
            ]
        }

    assert identity_status(patient("PROV", "")) == "PROV"
    assert identity_status(patient("***", "Identité qualifiée")) == "QUAL"
    assert identity_status(patient("***", "Identité provisoire")) == "PROV"
    assert identity_status({"extension": []}) is None
    assert in_value_set({"11488-4"}, {"11488-4"}) and not in_value_set({"XYZ"}, {"11488-4"})
    assert in_value_set({"***"}, {"11488-4"}) and not in_value_set(set(), {"11488-4"})
