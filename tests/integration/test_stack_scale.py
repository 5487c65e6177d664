"""`importctl stack scale --once` wiring, on an empty state folder so no worker of the shared stack is touched."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from control_plane.cli.main import cli
from control_plane.settings import Settings, get_settings


@pytest.fixture
def runner(settings: Settings, clean: None, tmp_path: Path) -> Iterator[CliRunner]:
    """This session's Redis db (no autoscaler answer yet), a private state folder, and no minimum pool."""
    get_settings.cache_clear()
    env = {
        "ICP_STACK_STATE_DIR": str(tmp_path / "state"),
        "ICP_REDIS_DATABASE": str(settings.redis.database),
        "ICP_OPS_LOCAL_WORKERS_MIN": "0",
    }
    yield CliRunner(env=env)
    get_settings.cache_clear()


async def test_scale_once_reads_the_autoscaler_and_exits(runner: CliRunner) -> None:
    result = await asyncio.to_thread(runner.invoke, cli, ["stack", "scale", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "desired -, target 0: no change"
