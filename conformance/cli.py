"""``socle conformance list | run | report``: the suite as vendors' CI runs it."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .catalogue import PROFILES, catalogue
from .checks import all_checks
from .engine import uncovered
from .evidence import DriverOutcome
from .reference_client.mutants import MUTANTS
from .report_model import RunReport
from .reports import print_table, write_html, write_junit
from .scenarios import SCENARIOS, Scenario
from .session import RunOptions, run
from .stack import StackError

app = typer.Typer(
    help="Check vendor software against the services socles, with evidence.", no_args_is_help=True
)
console = Console()


@app.command("list")
def list_command(
    profile: str = typer.Option(None, help=f"only requirements of one profile ({', '.join(PROFILES)})"),
    mutants: bool = typer.Option(False, "--mutants", help="list the reference client's mutants instead"),
) -> None:
    """The catalogue with coverage: which checks prove each requirement, and which none does."""
    if mutants:
        table = Table(title="reference client mutants (--driver reference:NAME)")
        table.add_column("mutant")
        table.add_column("what it breaks")
        table.add_column("checks it must fail")
        for mutant in MUTANTS.values():
            table.add_row(mutant.name, mutant.breaks, ", ".join(mutant.fails))
        console.print(table)
        return
    checks = all_checks()
    table = Table(title="requirement catalogue")
    for column in ("requirement", "Ségur", "nature", "profiles", "checks"):
        table.add_column(column)
    for requirement in catalogue().values():
        if profile and not requirement.applies_to(profile):
            continue
        proving = [c.id for c in checks.values() if requirement.id in c.requirements]
        shown = ", ".join(proving) if proving else ("manual" if not requirement.automated else "[red]none[/]")
        table.add_row(
            f"{requirement.id} {requirement.title}",
            ", ".join(requirement.segur),
            requirement.nature,
            ", ".join(requirement.profiles),
            shown,
        )
    console.print(table)
    scenarios = Table(title="scenarios (one driver run each)")
    for column in ("scenario", "expect", "what the software does", "checks"):
        scenarios.add_column(column)
    for item in SCENARIOS:
        proving = [c.id for c in checks.values() if item.id in c.scenarios]
        scenarios.add_row(item.id, item.expect, item.instructions, ", ".join(proving))
    console.print(scenarios)
    gaps = [r.id for r in uncovered(catalogue(), checks) if not profile or r.applies_to(profile)]
    console.print(f"{len(checks)} checks; requirements no check covers: {', '.join(gaps) or 'none'}")


WAIT_FIELDS = (
    "CONFORMANCE_CLIENT_ID",
    "CONFORMANCE_CLIENT_SECRET",
    "CONFORMANCE_REDIRECT_URI",
    "CONFORMANCE_PSC_ISSUER",
    "CONFORMANCE_PROFESSIONAL_IDNAT",
    "CONFORMANCE_PATIENT_INS",
    "CONFORMANCE_PATIENT_BIRTH_NAME",
    "CONFORMANCE_PATIENT_FIRST_NAMES",
    "CONFORMANCE_PATIENT_BIRTH_DATE",
    "CONFORMANCE_RECIPIENT_MAILBOX",
)


def _announce(scenario: Scenario, env: dict[str, str]) -> None:
    """What a tester needs on screen to do a scenario by hand in the software."""
    table = Table(title=f"{scenario.id}: {scenario.title}", show_header=False)
    table.add_row("do", scenario.instructions)
    for key in WAIT_FIELDS:
        table.add_row(key.removeprefix("CONFORMANCE_").lower().replace("_", " "), env.get(key, ""))
    console.print(table)


def _write_reports(report: RunReport, json_file: Path | None, junit: Path | None, html: Path | None) -> None:
    if json_file:
        report.write(json_file)
    if junit:
        write_junit(report, junit)
    if html:
        write_html(report, html)


@app.command("run")
def run_command(
    base: str = typer.Option("http://127.0.0.1:8080", help="base URL of a running socle stack"),
    profile: str = typer.Option("lgc", help=f"software type: {', '.join(PROFILES)}"),
    driver: str = typer.Option(None, help='command run per scenario, or "reference[:MUTANT]"'),
    wait: bool = typer.Option(
        False, "--wait", help="manual run: a tester does each scenario in the software"
    ),
    timeout: float = typer.Option(60.0, help="seconds allowed per scenario"),
    scenario: list[str] = typer.Option([], help="run only these scenarios (repeatable)"),
    redirect_uri: str = typer.Option(None, help="redirect URI of the software (registered with PSC)"),
    nil: str = typer.Option(
        "SOCLE-CONFORMANCE", help="the software's Convergence product reference (X-MSS-NIL)"
    ),
    json_file: Path = typer.Option(None, "--json", help="write the JSON report"),
    junit: Path = typer.Option(None, "--junit", help="write a JUnit XML report"),
    html: Path = typer.Option(None, "--html", help="write a self-contained HTML report"),
) -> None:
    """Run every scenario through the driver, evaluate the evidence; exit 0 only if every applicable DOIT passes."""
    if profile not in PROFILES:
        raise typer.BadParameter(f"profile must be one of {', '.join(PROFILES)}")
    if not driver and not wait:
        raise typer.BadParameter("give --driver COMMAND, or --wait for a manual run")
    known = {s.id for s in SCENARIOS}
    if set(scenario) - known:
        raise typer.BadParameter(f"unknown scenario; one of {', '.join(sorted(known))}")
    options = RunOptions(
        base=base, profile=profile, driver=driver, timeout=timeout, wait=wait, scenarios=scenario, nil=nil
    )
    if wait:
        options.announce = _announce
        options.ask = lambda question: typer.confirm(question, default=False)
    if redirect_uri:
        options.redirect_uri = redirect_uri
    selected = [s for s in SCENARIOS if not scenario or s.id in scenario]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("scenarios", total=len(selected))

        def progress(event: str, item: Scenario, outcome: DriverOutcome | None) -> None:
            if event == "start":
                hint = f" — {item.instructions}" if wait else ""
                bar.update(task, description=f"{item.id}{hint}")
            else:
                bar.advance(task)

        try:
            report = run(options, progress)
        except StackError as exc:
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(2) from exc
    print_table(report, console)
    _write_reports(report, json_file, junit, html)
    raise typer.Exit(report.exit_code)


@app.command("report")
def report_command(
    source: Path = typer.Argument(..., exists=True, help="a JSON report written by run --json"),
    junit: Path = typer.Option(None, "--junit"),
    html: Path = typer.Option(None, "--html"),
) -> None:
    """Show a stored run again and render it as JUnit XML or HTML; exit code as the run's."""
    report = RunReport.read(source)
    print_table(report, console)
    _write_reports(report, None, junit, html)
    raise typer.Exit(report.exit_code)
