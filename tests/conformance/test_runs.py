"""Real runs against a running stack: the reference client passes, each mutant fails exactly its checks,
and a driver that crashes, hangs or does nothing never passes anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from defusedxml import ElementTree
from typer.testing import CliRunner, Result

from conformance.checks import Status
from conformance.cli import app
from conformance.reference_client.mutants import MUTANTS
from conformance.report_model import RunReport
from conformance.scenarios import SCENARIOS, Scenario
from conformance.session import RunOptions, run
from tests.support import RunningStack


def statuses(report: RunReport) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for result in report.checks:
        out.setdefault(result["status"], set()).add(result["check"])
    return out


def test_reference_client_passes_every_check(stack: RunningStack) -> None:
    report = run(RunOptions(base=stack.base_url, profile="lgc", driver="reference", timeout=60))
    problems = [
        f"{c['check']}@{c['scenario']}: {c['status']} {c['message']}"
        for c in report.checks
        if c["status"] != "pass"
    ]
    assert problems == [], "\n".join(problems + [s["output"] for s in report.scenarios if s["exit_code"]])
    assert report.exit_code == 0
    blocking = [r for r in report.requirements if r["blocking"]]
    assert blocking and all(r["status"] == "pass" for r in blocking)
    refused = {s["id"] for s in report.scenarios if s["reported"].get("outcome") == "refused"}
    assert refused == {s.id for s in SCENARIOS if s.expect == "refuse"}
    assert len(refused) == 9


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_each_mutant_fails_exactly_its_checks(stack: RunningStack, name: str) -> None:
    mutant = MUTANTS[name]
    report = run(
        RunOptions(
            base=stack.base_url,
            profile="lgc",
            driver=f"reference:{name}",
            timeout=60,
            scenarios=list(mutant.scenarios),
        )
    )
    ran = set(mutant.scenarios)
    seen = statuses(
        RunReport(**{**report.__dict__, "checks": [c for c in report.checks if c["scenario"] in ran]})
    )
    assert seen.get("fail", set()) == set(mutant.fails), [
        f"{c['check']}@{c['scenario']}: {c['message']}" for c in report.checks if c["status"] == "fail"
    ]
    assert "error" not in seen
    assert report.exit_code == 1


@pytest.mark.parametrize(
    ("driver", "timeout", "reason"),
    [
        (f"{sys.executable} -c 'import sys; sys.exit(3)'", 30, "exited with code 3"),
        (f"{sys.executable} -c 'import time; time.sleep(60)'", 1, "did not finish within 1 s"),
        ("true", 30, "exited with code 0"),
    ],
    ids=["crashes", "hangs", "does-nothing"],
)
def test_a_driver_that_does_not_do_the_scenario_never_passes(
    stack: RunningStack, driver: str, timeout: float, reason: str
) -> None:
    report = run(
        RunOptions(
            base=stack.base_url,
            profile="lgc",
            driver=driver,
            timeout=timeout,
            scenarios=["psc-login", "dmp-unqualified", "mss-send"],
        )
    )
    assert report.exit_code == 1
    ran = [c for c in report.checks if c["scenario"] in ("psc-login", "dmp-unqualified", "mss-send")]
    assert ran and all(c["status"] in (Status.FAIL, Status.NOT_TESTED) for c in ran)
    assert all(reason in c["message"] for c in ran if c["status"] == Status.FAIL)
    assert not [r for r in report.requirements if r["status"] == "pass"]


def socle(*args: str) -> Result:
    """``socle conformance ARGS`` as a user runs it (the typer app ``socle`` mounts)."""
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_cli_run_writes_reports_and_report_re_renders_them(stack: RunningStack, tmp_path: Path) -> None:
    files = {kind: tmp_path / f"run.{kind}" for kind in ("json", "xml", "html")}
    result = socle(
        "run",
        "--base",
        stack.base_url,
        "--driver",
        "reference:no-acr",
        "--scenario",
        "psc-login",
        "--json",
        str(files["json"]),
        "--junit",
        str(files["xml"]),
        "--html",
        str(files["html"]),
    )
    assert result.exit_code == 1, result.output
    assert "NOT PASSED" in result.output
    failures = [
        case
        for case in ElementTree.parse(files["xml"]).getroot().iter("testcase")
        if case.find("failure") is not None
    ]
    assert [case.get("name").split()[0] for case in failures] == ["PSC-FLOW-03"]
    html = files["html"].read_text()
    assert "PSC.08" in html and "/protocol/openid-connect/auth" in html
    again = socle("report", str(files["json"]), "--html", str(tmp_path / "again.html"))
    assert again.exit_code == 1 and (tmp_path / "again.html").read_text() == html


def test_cli_list_shows_coverage_and_mutants() -> None:
    listing = socle("list")
    assert listing.exit_code == 0, listing.output
    assert "PSC.08" in listing.output and "requirements no check covers: none" in listing.output
    assert "dmp-unqualified" in listing.output and "refuse" in listing.output
    mutants = socle("list", "--mutants")
    assert all(name in mutants.output for name in MUTANTS)


def test_cli_refuses_an_unreachable_stack() -> None:
    result = socle("run", "--base", "http://127.0.0.1:9", "--driver", "reference")
    assert result.exit_code == 2
    assert "cannot reach" in result.output


def test_socle_mounts_the_conformance_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services", "conformance", "list", "--mutants"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert all(name in result.stdout for name in MUTANTS)


def test_wait_mode_evaluates_what_a_tester_does_by_hand(stack: RunningStack) -> None:
    """``--wait``: the suite shows the client and test data, then waits; here the "tester" is the
    reference client started by hand with what was shown, and answers that the software refused."""
    started: list[subprocess.Popen[bytes]] = []

    def tester(scenario: Scenario, env: dict[str, str]) -> None:
        started.append(
            subprocess.Popen(
                [sys.executable, "-m", "conformance.reference_client"],
                env={**os.environ, **{k: v for k, v in env.items() if k != "CONFORMANCE_RESULT_FILE"}},
                stdout=subprocess.DEVNULL,
            )
        )

    options = RunOptions(
        base=stack.base_url,
        profile="lgc",
        driver=None,
        wait=True,
        timeout=60,
        scenarios=["psc-login", "psc-wrong-audience"],
        announce=tester,
        ask=lambda question: True,
    )
    report = run(options)
    for process in started:
        process.wait(timeout=30)
    results = {(c["check"], c["scenario"]): c["status"] for c in report.checks}
    assert results[("PSC-07", "psc-login")] == "pass"
    assert results[("PSC-03", "psc-login")] == "pass"
    assert results[("PSC-08", "psc-wrong-audience")] == "pass"
    assert report.driver == "manual (--wait)"


def test_wait_mode_times_out_when_nobody_does_the_steps(stack: RunningStack) -> None:
    options = RunOptions(
        base=stack.base_url, profile="lgc", driver=None, wait=True, timeout=1, scenarios=["psc-login"]
    )
    report = run(options)
    assert report.scenarios[0]["timed_out"]
    login = [c for c in report.checks if c["scenario"] == "psc-login"]
    assert all(c["status"] == "fail" and "timeout" in c["message"] for c in login)
