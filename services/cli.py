"""The ``socle`` command: run the stack, run one service, seed bulk data."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from typing import Any

import typer
import uvicorn
from fastapi import FastAPI
from rich.console import Console
from rich.table import Table

from services.kernel.settings import SERVICE_PREFIXES, Settings
from services.runner import CONSOLE, SERVICES, create_service, create_stack

app = typer.Typer(
    help="socle: a reference simulator of the French e-health services socles.", no_args_is_help=True
)
console = Console()
app.add_typer(importlib.import_module("conformance.cli").app, name="conformance")


def _settings(**overrides: Any) -> Settings:
    return Settings(**{key: value for key, value in overrides.items() if value is not None})


def _wipe(settings: Settings) -> None:
    if settings.database_url is None and settings.data_dir.exists():
        shutil.rmtree(settings.data_dir)


def _announce(settings: Settings) -> Any:
    def show(root: FastAPI) -> None:
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
    uvicorn.run(root, host=settings.host, port=settings.port, log_level=settings.log_level, lifespan="on")


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
