"""``socle`` pauses the cyclic garbage collector while it starts, and always hands it back."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from services import cli
from services.kernel.settings import Settings

gc.enable()  # importing the CLI pauses collection, as ``socle`` wants at start; this test process must not


@pytest.fixture
def paused() -> Iterator[None]:
    """The state ``socle`` is in while it starts; whatever the test does, collection resumes after it."""
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable()


@pytest.mark.usefixtures("paused")
def test_up_resumes_collection_once_the_stack_is_ready_with_start_up_objects_frozen() -> None:
    root = SimpleNamespace(state=SimpleNamespace(runtime=SimpleNamespace(apps={})))
    cli._announce(Settings())(root)  # type: ignore[arg-type]
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0


@pytest.mark.usefixtures("paused")
def test_every_other_command_resumes_collection_before_it_runs() -> None:
    result = CliRunner().invoke(cli.app, ["serve", "no-such-service"])
    assert result.exit_code != 0 and "unknown service" in result.output
    assert gc.isenabled()


def test_the_conformance_command_is_listed_and_loaded_only_when_asked_for() -> None:
    result = CliRunner().invoke(cli.app, ["conformance", "--help"])
    assert result.exit_code == 0 and "list" in result.output and "run" in result.output
