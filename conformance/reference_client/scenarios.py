"""What the reference client does in each scenario of the suite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import psc
from .config import Config


class Refused(Exception):
    """The software stops on purpose and says why (the right outcome of a negative scenario)."""


def _headers(cfg: Config) -> dict[str, str]:
    return {"X-Socle-Run": cfg.run, "User-Agent": "socle-reference-lps/1.0"}


def psc_login(cfg: Config) -> dict[str, Any]:
    session, client, meta = _login(cfg)
    try:
        if not cfg.broken("no-logout"):
            psc.logout(client, meta, cfg, session)
    finally:
        client.close()
    return {"idnat": session.userinfo.get("SubjectNameID", "")}


def _login(cfg: Config) -> tuple[psc.Session, Any, dict[str, Any]]:
    try:
        return psc.login(cfg, _headers(cfg))
    except psc.LoginRefused as exc:
        raise Refused(str(exc)) from exc


SCENARIOS: dict[str, Callable[[Config], dict[str, Any]]] = {
    "psc-login": psc_login,
}


def run_scenario(cfg: Config) -> dict[str, Any]:
    if cfg.scenario.startswith("psc-") and cfg.scenario not in SCENARIOS:
        return psc_login(cfg)  # negative logins: the same steps, PSC answers wrong
    action = SCENARIOS.get(cfg.scenario)
    if action is None:
        raise NotImplementedError(f"the reference client does not know scenario {cfg.scenario!r}")
    return action(cfg)
