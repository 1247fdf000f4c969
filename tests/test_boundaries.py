"""Services talk over HTTP only: no service imports another, the kernel imports none."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "services"
SERVICE_NAMES = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()} - {"kernel"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def foreign_imports(folder: Path, allowed: set[str]) -> dict[str, set[str]]:
    """For each file under ``folder``, the ``services.<name>`` packages it imports beyond ``allowed``."""
    hits: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        targets = {m.split(".")[1] for m in imported_modules(path) if m.startswith("services.")}
        if targets - allowed:
            hits[path.name] = targets - allowed
    return hits


def test_no_service_imports_another_service() -> None:
    assert {"ins", "prosanteconnect", "annuaire", "dmp", "mssante"} <= SERVICE_NAMES
    offenders = {name: foreign_imports(ROOT / name, {name, "kernel"}) for name in SERVICE_NAMES}
    assert {name: hits for name, hits in offenders.items() if hits} == {}


def test_the_kernel_imports_no_service() -> None:
    assert foreign_imports(ROOT / "kernel", {"kernel"}) == {}


def test_the_scan_catches_a_cross_import(tmp_path: Path) -> None:
    (tmp_path / "routes.py").write_text("from services.ins.store import find\nimport services.kernel.db\n")
    assert foreign_imports(tmp_path, {"dmp", "kernel"}) == {"routes.py": {"ins"}}
