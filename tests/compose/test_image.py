"""The image, checked without a Docker engine: its Dockerfile, its build context, what its install ships.

The install step is replayed on the build context that ``.dockerignore`` lets through: setuptools'
``build_py`` (what ``pip install .`` runs to lay out the packages) must ship every runtime file of
the checkout, or a container would fail on a missing code list or template that a checkout has.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.compose.composefile import ROOT


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def dockerignore_regexes() -> list[tuple[bool, re.Pattern[str]]]:
    """``.dockerignore`` rules in order as (is_exception, regex); the last matching rule wins."""
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = re.escape(line.lstrip("!").strip("/"))
        pattern = pattern.replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        rules.append((exception, re.compile(pattern)))
    return rules


def in_build_context(path: str) -> bool:
    """Docker's rule: a pattern matching a path or any of its parent folders excludes the path."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for exception, regex in dockerignore_regexes():
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            excluded = not exception
    return not excluded


def tracked_files() -> list[str]:
    listing = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [line for line in listing.stdout.splitlines() if (ROOT / line).is_file()]


def test_the_image_is_slim_runs_as_a_user_and_checks_its_health() -> None:
    instructions = dockerfile_instructions()
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", dict(instructions)["FROM"])
    users = [value for op, value in instructions if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert dict(instructions)["HEALTHCHECK"].endswith('CMD ["socle-healthcheck"]')
    assert json.loads(dict(instructions)["ENTRYPOINT"]) == ["socle"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["socle"] == "services.cli:app"


def test_the_dockerignore_reading_is_docker_s() -> None:
    assert in_build_context("services/kernel/data/fixtures.json")
    assert in_build_context("deploy/healthcheck.py")
    assert not in_build_context("deploy/postgres/init.sql")
    assert not in_build_context("services/kernel/__pycache__/db.cpython-311.pyc")
    assert not in_build_context(".git/config")
    assert not in_build_context("tests/compose/test_image.py")


def test_the_install_from_the_build_context_ships_every_runtime_file(tmp_path: Path) -> None:
    context, built = tmp_path / "context", tmp_path / "built"
    files = [path for path in tracked_files() if in_build_context(path)]
    assert "pyproject.toml" in files and "deploy/healthcheck.py" in files
    readme = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"].get("readme")
    assert readme is None or readme in files
    for path in files:
        (context / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, context / path)
    install = subprocess.run(
        [
            sys.executable,
            "-c",
            "import setuptools; setuptools.setup()",
            "-q",
            "build_py",
            "--build-lib",
            str(built),
        ],
        cwd=context,
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    shipped = {str(path.relative_to(built)) for path in built.rglob("*") if path.is_file()}
    needed = {
        path
        for path in files
        if path.startswith(("services/", "conformance/")) and not path.endswith((".md", ".pyc"))
    }
    assert needed - shipped == set()
