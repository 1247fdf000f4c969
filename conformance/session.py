"""One conformance run: register PSC clients, run each scenario, collect its evidence, evaluate.

A scenario's evidence is what was recorded after it started, once the record has settled, and that
carries its run tag (``X-Socle-Run``) or, untagged, was made with its PSC client (services annotate the
token's ``azp``). Scenarios that need no fault and no mailbox run side by side, each with a client of its
own; the others run one at a time, their faults injected just before and cleared just after.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

from .catalogue import catalogue
from .checks import all_checks
from .driver import DriverEnv, driver_command, run_driver
from .engine import evaluate, exit_code, roll_up
from .evidence import DriverOutcome, Exchange, ScenarioEvidence, message_exchange
from .report_model import RunReport
from .scenarios import SCENARIOS, Scenario
from .stack import RegisteredClient, Stack, StackError

DEFAULT_REDIRECT = "http://127.0.0.1:8765/callback"
DEFAULT_LOGOUT_REDIRECT = "http://127.0.0.1:8765/"
PARALLEL_DRIVERS = 4
SETTLE_POLL = 0.25
SETTLE_MAX = 5.0
WAIT_POLL = 0.5
WAIT_SETTLE = 1.0


@dataclass
class RunOptions:
    base: str
    profile: str
    driver: str | None
    timeout: float = 60.0
    wait: bool = False
    scenarios: list[str] = field(default_factory=list)
    redirect_uri: str = DEFAULT_REDIRECT
    logout_redirect_uri: str = DEFAULT_LOGOUT_REDIRECT
    nil: str = "SOCLE-CONFORMANCE"
    announce: Callable[[Scenario, dict[str, str]], None] | None = None
    """``--wait``: show the tester what to do and with which client, patient and professional."""
    ask: Callable[[str], bool] | None = None
    """``--wait``: ask the tester a yes/no question (did the software refuse?)."""


Progress = Callable[[str, Scenario, DriverOutcome | None], None]


@dataclass(frozen=True)
class TestData:
    professional: dict[str, Any]
    patients: dict[str, dict[str, Any]]
    medecin_traitant: dict[str, Any]


def pick_test_data(fixtures: dict[str, Any]) -> TestData:
    """The anchors of the product contract: first professional, ADRTROIS DOMINIQUE, a provisional identity."""
    professionals = fixtures["professionals"]
    anchors = fixtures["anchors"]
    by_idnat = {p["idnat"]: p for p in professionals}
    reference = next(p for p in fixtures["patients"] if p["ins"] == anchors["reference_patient"])
    unqualified = next(
        p for p in fixtures["patients"] if p["identity_status"] == "PROV" and p["dmp"] == "open"
    )
    doctor = by_idnat.get(reference.get("medecin_traitant") or "", professionals[0])
    return TestData(
        by_idnat[anchors["first_professional"]],
        {"reference": reference, "unqualified": unqualified},
        doctor,
    )


def driver_env(
    stack: Stack,
    options: RunOptions,
    run_id: str,
    client: RegisteredClient,
    data: TestData,
    scenario: Scenario,
    smtp: tuple[str, int],
) -> DriverEnv:
    urls = stack.urls()
    patient = data.patients[scenario.patient]
    return DriverEnv(
        {
            "CONFORMANCE_SCENARIO": scenario.id,
            "CONFORMANCE_INSTRUCTIONS": scenario.instructions,
            "CONFORMANCE_EXPECT": scenario.expect,
            "CONFORMANCE_RUN": run_id,
            "CONFORMANCE_BASE_URL": urls["base"],
            "CONFORMANCE_PSC_ISSUER": urls["psc_issuer"],
            "CONFORMANCE_INS_URL": urls["ins"],
            "CONFORMANCE_DMP_URL": urls["dmp"],
            "CONFORMANCE_MSS_URL": urls["mss"],
            "CONFORMANCE_ANNUAIRE_URL": urls["annuaire"],
            "CONFORMANCE_CLIENT_ID": client.client_id,
            "CONFORMANCE_CLIENT_SECRET": client.client_secret,
            "CONFORMANCE_REDIRECT_URI": client.redirect_uris[0],
            "CONFORMANCE_POST_LOGOUT_REDIRECT_URI": client.post_logout_redirect_uris[0],
            "CONFORMANCE_PROFESSIONAL_IDNAT": data.professional["idnat"],
            "CONFORMANCE_PROFESSIONAL_MAILBOX": data.professional["mailbox"],
            "CONFORMANCE_PATIENT_INS": patient["ins"],
            "CONFORMANCE_PATIENT_OID": patient["oid"],
            "CONFORMANCE_PATIENT_BIRTH_NAME": patient["birth_name"],
            "CONFORMANCE_PATIENT_FIRST_NAMES": patient["first_names"],
            "CONFORMANCE_PATIENT_SEX": patient["sex"],
            "CONFORMANCE_PATIENT_BIRTH_DATE": patient["birth_date"],
            "CONFORMANCE_PATIENT_BIRTH_PLACE": patient["birth_place"],
            "CONFORMANCE_PATIENT_MAILBOX": patient["mailbox"],
            "CONFORMANCE_RECIPIENT_MAILBOX": data.medecin_traitant["mailbox"],
            "CONFORMANCE_MSS_NIL": options.nil,
            "CONFORMANCE_SMTP_HOST": smtp[0],
            "CONFORMANCE_SMTP_PORT": str(smtp[1]),
        }
    )


def belongs_to_run(raw: dict[str, Any], run_id: str, client_id: str) -> bool:
    exchange = Exchange(raw)
    if exchange.internal:
        return False
    if raw.get("run"):
        return bool(raw["run"] == run_id)  # tagged by another scenario: not this one's
    return (
        raw.get("client_id") == client_id
        or exchange.query.get("client_id") == client_id
        or exchange.form.get("client_id") == client_id
    )


def collect(stack: Stack, *, since: int, run_id: str, client_id: str) -> list[Exchange]:
    """The scenario's own exchanges recorded after ``since``."""
    return [Exchange(row) for row in stack.traffic(since_id=since) if belongs_to_run(row, run_id, client_id)]


def wait_for_tester(
    stack: Stack, scenario: Scenario, since: int, options: RunOptions, *, run_id: str, client_id: str
) -> DriverOutcome:
    """Manual mode: a tester does the steps in the software; wait for the scenario's last request
    (made with the run's client), then ask the tester whether the software refused when it should."""
    deadline = time.monotonic() + options.timeout
    service, method, suffix = scenario.done_when or ("", "", "")
    while time.monotonic() < deadline:
        for row in stack.traffic(since_id=since):
            ex = Exchange(row)
            if not belongs_to_run(row, run_id, client_id):
                continue
            if ex.service == service and ex.method == method and ex.path.endswith(suffix):
                time.sleep(WAIT_SETTLE)  # let the software finish the step it is in
                refused = (
                    scenario.expect == "refuse"
                    and options.ask is not None
                    and options.ask("Did the software refuse and tell the user why?")
                )
                return DriverOutcome(exit_code=0, reported={"outcome": "refused" if refused else "manual"})
        time.sleep(WAIT_POLL)
    return DriverOutcome(exit_code=None, timed_out=True, error="the tester did not finish before the timeout")


def run(options: RunOptions, progress: Progress | None = None) -> RunReport:
    stack = Stack(options.base)
    try:
        return _run(stack, options, progress)
    finally:
        stack.close()


@dataclass
class Prepared:
    """A scenario ready to run: its PSC client, run tag, driver environment and evidence marks."""

    scenario: Scenario
    client: RegisteredClient
    tag: str
    env: DriverEnv
    faults: list[dict[str, Any]]
    mail_mark: int = 0
    outcome: DriverOutcome | None = None
    duration: float = 0.0
    scenario_evidence: ScenarioEvidence = field(init=False)


def settle(stack: Stack, delayed: float) -> None:
    """Wait until the record stops growing: a service records an exchange just after answering it, and a
    request held by an injected latency ends after the driver may have given up on it."""
    time.sleep(delayed)
    last, deadline = stack.last_exchange_id(), time.monotonic() + SETTLE_MAX
    while time.monotonic() < deadline:
        time.sleep(SETTLE_POLL)
        current = stack.last_exchange_id()
        if current == last:
            return
        last = current


def batches(selected: list[Scenario], *, parallel: bool) -> list[list[Scenario]]:
    """Scenarios that need no fault and no mailbox run side by side, each with its own PSC client (their
    evidence is told apart by client and run tag); the others run one at a time after them."""
    alone = [[s] for s in selected if not (parallel and s.isolated)]
    together = [s for s in selected if parallel and s.isolated]
    return ([together] if together else []) + alone


def _drive(item: Prepared, options: RunOptions, stack: Stack, since: int) -> None:
    began = time.perf_counter()
    if options.wait:
        if options.announce:
            options.announce(item.scenario, item.env.values)
        item.outcome = wait_for_tester(
            stack, item.scenario, since, options, run_id=item.tag, client_id=item.client.client_id
        )
    else:
        item.outcome = run_driver(driver_command(options.driver or ""), item.env, timeout=options.timeout)
    item.duration = round(time.perf_counter() - began, 2)


def _run(stack: Stack, options: RunOptions, progress: Progress | None) -> RunReport:
    started = datetime.now(UTC)
    clock = time.perf_counter()
    health = stack.health()
    if not health["ready"]:
        raise StackError(f"the stack at {stack.base_url} is not ready (see /_sim/health)")
    smtp = stack.mail_endpoint(health, "smtp", 2525)
    data = pick_test_data(stack.fixtures())
    mailbox = data.professional["mailbox"]
    run_id = "run-" + uuid.uuid4().hex[:12]

    def register(scenario: Scenario | None = None) -> RegisteredClient:
        return stack.register_client(
            name=f"conformance {run_id}" + (f" {scenario.id}" if scenario else ""),
            redirect_uris=[options.redirect_uri],
            post_logout_redirect_uris=[options.logout_redirect_uri],
            extra=dict(scenario.psc_client) if scenario else None,
        )

    def prepare(scenario: Scenario) -> Prepared:
        client = register(scenario) if scenario.psc_client or parallel else main_client
        tag = f"{run_id}.{scenario.id}"
        env = driver_env(stack, options, tag, client, data, scenario, smtp)
        faults = [stack.add_fault(rule) for rule in scenario.faults]
        marked = stack.last_message_id(address=mailbox) if "mssante" in scenario.services else 0
        return Prepared(scenario, client, tag, env, faults, marked)

    main_client = register()
    selected = [s for s in SCENARIOS if not options.scenarios or s.id in options.scenarios]
    done: list[Prepared] = []
    parallel = not options.wait
    for batch in batches(selected, parallel=parallel):
        stack.clear_faults()
        prepared = [prepare(scenario) for scenario in batch]
        since = stack.last_exchange_id()
        for item in prepared:
            if progress:
                progress("start", item.scenario, None)
        with ThreadPoolExecutor(max_workers=PARALLEL_DRIVERS) as pool:
            list(pool.map(_drive, prepared, repeat(options), repeat(stack), repeat(since)))
        stack.clear_faults()
        settle(stack, max((f.get("latency_ms", 0) for i in prepared for f in i.faults), default=0) / 1000)
        for item in prepared:
            item.scenario_evidence = evidence_of(stack, item, data, since=since)
            if progress:
                progress("done", item.scenario, item.outcome)
        done.extend(prepared)
    evidence = {item.scenario.id: item.scenario_evidence for item in done}
    results = evaluate(all_checks(), evidence)
    requirements = roll_up(catalogue(), results, options.profile)
    return RunReport(
        run_id=run_id,
        base=stack.base_url,
        profile=options.profile,
        driver="manual (--wait)" if options.wait else (options.driver or ""),
        client_id=main_client.client_id,
        started=started.isoformat(),
        duration_s=round(time.perf_counter() - clock, 2),
        scenarios=[scenario_summary(item) for item in sorted(done, key=lambda i: selected.index(i.scenario))],
        checks=[result.as_json() for result in results],
        requirements=[result.as_json() for result in requirements],
        exit_code=exit_code(requirements),
    )


def evidence_of(stack: Stack, item: Prepared, data: TestData, *, since: int) -> ScenarioEvidence:
    mailbox = data.professional["mailbox"]
    mine = collect(stack, since=since, run_id=item.tag, client_id=item.client.client_id)
    messages = []
    if "mssante" in item.scenario.services:
        messages = [
            message_exchange(m)
            for m in stack.messages(address=mailbox, after=item.mail_mark)
            if m.get("kind", "message") == "message"
            and mailbox in f"{m.get('from', '')} {m.get('envelope_from', '')}"
        ]
    return ScenarioEvidence(
        scenario=item.scenario.id,
        run_id=item.tag,
        client_id=item.client.client_id,
        patient=data.patients[item.scenario.patient]["ins"],
        professional=data.professional["idnat"],
        exchanges=mine,
        driver=item.outcome or DriverOutcome(exit_code=None, error="the scenario did not run"),
        faults=item.faults,
        messages=messages,
    )


def scenario_summary(item: Prepared) -> dict[str, Any]:
    outcome = item.outcome or DriverOutcome(exit_code=None)
    return {
        "id": item.scenario.id,
        "title": item.scenario.title,
        "exchanges": len(item.scenario_evidence.exchanges),
        "exit_code": outcome.exit_code,
        "timed_out": outcome.timed_out,
        "reported": outcome.reported,
        "error": outcome.error,
        "output": outcome.output,
        "duration_s": item.duration,
    }
