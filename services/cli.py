"""The ``socle`` command: run the stack, run one service, seed bulk data, run the conformance suite.

Start-up time is a goal of its own (``socle up`` healthy in under a second), hence two things here:

- the cyclic garbage collector is paused from the moment this module loads until the command has
  started. Starting allocates a few hundred thousand objects (modules, classes, routes, mappers) that
  live as long as the process; each full collection walks them all (~0.1 s of CPU in total) and frees
  almost nothing (about a thousand objects). Once started they are frozen out of the collector's
  generations (``gc.freeze``), so later collections skip them too, and collection resumes;
- ``socle conformance`` (the suite, its YAML catalogue, jinja2 reports) is loaded only when asked for.
"""

from __future__ import annotations

import gc

gc.disable()  # resumed by resume_collector(): once the stack is up, or at once for the other commands

import importlib  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import typer  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from typer.core import TyperGroup  # noqa: E402

from services.kernel.settings import SERVICE_PREFIXES, Settings  # noqa: E402
from services.runner import CONSOLE, SERVICES, create_service, create_stack  # noqa: E402

LAZY_COMMANDS = {"conformance": "conformance.cli"}
"""Sub-commands whose module (a Typer app named ``app``) is imported only when they run or are listed."""


class _StandIn(TyperGroup):
    """Holds the name of a lazy command in the group until it is loaded."""


class LazyGroup(TyperGroup):
    """The ``socle`` group: the commands defined here, plus :data:`LAZY_COMMANDS` loaded on demand."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in LAZY_COMMANDS:  # a stand-in until asked for: listings and typo hints know the name
            self.commands[name] = _StandIn(name=name)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if isinstance(command, _StandIn):
            command = typer.main.get_group(importlib.import_module(LAZY_COMMANDS[cmd_name]).app)
            command.name = cmd_name
            self.commands[cmd_name] = command
        return command


app = typer.Typer(
    cls=LazyGroup,
    help="socle: a reference simulator of the French e-health services socles.",
    no_args_is_help=True,
)
console = Console()


def resume_collector() -> None:
    """Hand what start-up built to the permanent generation and let the collector run again."""
    gc.freeze()
    gc.enable()


@app.callback()
def _command(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand != "up":  # ``up`` resumes once the stack is ready (see ``_announce``)
        resume_collector()


def _settings(**overrides: Any) -> Settings:
    return Settings(**{key: value for key, value in overrides.items() if value is not None})


def _wipe(settings: Settings) -> None:
    if settings.database_url is None and settings.data_dir.exists():
        shutil.rmtree(settings.data_dir)


def _announce(settings: Settings) -> Any:
    def show(root: FastAPI) -> None:
        resume_collector()
        table = Table(title="socle is up", show_header=True)
        table.add_column("what")
        table.add_column("where")
        base = settings.root_url
        table.add_row("web console", f"{base}/")
        table.add_row("health", f"{base}/_sim/health")
        table.add_row("fixtures (test data)", f"{base}/_sim/fixtures")
        table.add_row("PSC issuer", settings.psc_issuer)
        table.add_row("Annuaire Santé FHIR", f"{base}{SERVICE_PREFIXES['annuaire']}/fhir/v2")
        table.add_row("INS FHIR / INSi SOAP", f"{base}/ins/fhir  ·  {base}/ins/insi?wsdl")
        table.add_row("DMP FHIR", f"{base}/dmp/fhir")
        table.add_row("MSSanté API", f"{base}/mss/api")
        table.add_row(
            "MSSanté SMTP / IMAP",
            f"{settings.host}:{settings.smtp_port} / {settings.host}:{settings.imap_port}",
        )
        table.add_row("traffic", f"{base}/_sim/traffic")
        console.print(table)
        failed = [n for n, a in root.state.runtime.apps.items() if not a.state.readiness.ready]
        if failed:
            console.print(f"[red]not ready:[/red] {', '.join(failed)} — see {base}/_sim/health")

    return show


@app.command()
def up(
    host: str = typer.Option(None, envvar="SOCLE_HOST", help="interface to listen on (127.0.0.1)"),
    port: int = typer.Option(None, envvar="SOCLE_PORT", help="HTTP port (8080)"),
    smtp_port: int = typer.Option(None, envvar="SOCLE_SMTP_PORT", help="MSSanté SMTP port (2525)"),
    imap_port: int = typer.Option(None, envvar="SOCLE_IMAP_PORT", help="MSSanté IMAP port (1143)"),
    data_dir: Path = typer.Option(None, envvar="SOCLE_DATA_DIR", help="where SQLite files live (.socle)"),
    database_url: str = typer.Option(
        None, envvar="SOCLE_DATABASE_URL", help="PostgreSQL URL instead of SQLite"
    ),
    public_url: str = typer.Option(None, envvar="SOCLE_PUBLIC_URL", help="base URL in tokens and links"),
    fresh: bool = typer.Option(False, "--fresh", envvar="SOCLE_FRESH", help="start from empty data"),
    psc_auto_login: bool = typer.Option(
        False,
        "--psc-auto-login",
        envvar="SOCLE_PSC_AUTO_LOGIN",
        help="log in without the login page (login_hint or first professional)",
    ),
) -> None:
    """Run the whole stack in one process on one port, with the fixed test data seeded."""
    settings = _settings(
        host=host,
        port=port,
        smtp_port=smtp_port,
        imap_port=imap_port,
        data_dir=data_dir,
        database_url=database_url,
        public_url=public_url,
        fresh=fresh or None,
        psc_auto_login=psc_auto_login or None,
    )
    if settings.fresh:
        _wipe(settings)
    root = create_stack(settings, on_ready=_announce(settings))
    uvicorn.run(
        root, host=settings.host, port=settings.port, log_level=settings.log_level, lifespan="on", ws="none"
    )


@app.command()
def serve(
    service: str = typer.Argument(..., help=" | ".join((*SERVICES, CONSOLE))),
    port: int = typer.Option(None, envvar="SOCLE_PORT"),
    host: str = typer.Option(None, envvar="SOCLE_HOST"),
) -> None:
    """Run one service alone (what each compose container runs)."""
    if service not in (*SERVICES, CONSOLE):
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join((*SERVICES, CONSOLE))}")
    settings = _settings(port=port, host=host)
    uvicorn.run(
        create_service(settings, service),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        lifespan="on",
        ws="none",
    )


@app.command()
def seed(
    patients: int = typer.Option(0, help="synthetic patients for INS (and DMPs)"),
    professionals: int = typer.Option(0, help="synthetic professionals for the directory"),
    documents: int = typer.Option(0, help="synthetic DMP documents spread over the patients"),
    seed: int = typer.Option(0, "--seed", help="same seed, same people"),
    data_dir: Path = typer.Option(None, envvar="SOCLE_DATA_DIR"),
    database_url: str = typer.Option(None, envvar="SOCLE_DATABASE_URL"),
) -> None:
    """Add bulk synthetic data (valid keys, test INS OID) to the stores, with a progress bar."""
    from services.kernel.bulk import SeedPlan, run_seed

    settings = _settings(data_dir=data_dir, database_url=database_url)
    plan = SeedPlan(patients=patients, professionals=professionals, documents=documents, seed=seed)
    hooks = {}
    for name in SERVICES:
        try:
            hooks[name] = importlib.import_module(f"services.{name}.bulk")
        except ModuleNotFoundError:
            continue
    counts = run_seed(settings, plan, hooks, console=console)
    for name, count in counts.items():
        console.print(f"{name}: {count} rows")
