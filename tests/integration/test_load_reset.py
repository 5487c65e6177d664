"""The load harness's reset stops the stack's workers before it empties the stores, then starts them again.

A reset that truncated the job store under a worker still busy with an earlier
run's job waited on its locks or was chosen as a deadlock victim. The workers
here are real arq processes of a private stack folder, using this session's
database, Redis db and queue.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob
from control_plane.settings import Settings
from harness.settings import HarnessSettings, StackSettings
from harness.stack import orchestrator
from harness.stack.paths import StackPaths
from harness.stack.process import read_pid
from loadtests.load.reset import reset_state
from tests.integration.conftest import Rig
from tests.support.jobs import wait_for_status

RESET_DEADLINE_S = 120.0
"""A bound on a hang, not a timing goal: a reset blocked on a worker's locks would never end."""


@pytest.fixture
def private_stack(
    harness_settings: HarnessSettings, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[HarnessSettings]:
    """A stack folder of this test's own with one worker slot; its workers inherit this session's stores."""
    monkeypatch.setenv("ICP_DB_NAME", settings.database.name)
    monkeypatch.setenv("ICP_REDIS_DATABASE", str(settings.redis.database))
    monkeypatch.setenv("ICP_REDIS_QUEUE_NAME", settings.redis.queue_name)
    stack = StackSettings(**{**harness_settings.stack.model_dump(), "state_dir": tmp_path / "state", "workers": 1})
    private = replace(harness_settings, stack=stack)
    yield private
    orchestrator.stop_workers(private, report=lambda _line: None)


def _worker_pid(settings: HarnessSettings) -> int | None:
    return read_pid(StackPaths.from_settings(settings.stack).pid_file("worker-1"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _jobs(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) or 0)


async def test_reset_kills_a_busy_worker_empties_the_stores_and_starts_it_again(
    rig: Rig, private_stack: HarnessSettings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lines: list[str] = []
    await asyncio.to_thread(orchestrator.start_workers, private_stack, [1], report=lines.append)
    before = _worker_pid(private_stack)
    assert before is not None
    # Slow pages: the import is mid-way (lease held, rows being written) when the reset comes.
    await rig.shop(products=200, images_max=0, faults={"latency_ms": 400})
    job_id: uuid.UUID = await rig.submit()
    await wait_for_status(rig.sessions, job_id, "RUNNING", timeout_s=60)

    tables = await asyncio.wait_for(
        reset_state(private_stack, empty_bucket=False, echo=lines.append), timeout=RESET_DEADLINE_S
    )

    assert "import_jobs" in tables and "import_seen_products" in tables
    assert not _alive(before), "the worker busy before the reset is gone"
    after = _worker_pid(private_stack)
    assert after is not None and after != before and _alive(after), lines
    assert await _jobs(sessions) == 0
    assert any("worker-1: stopped" in line and "SIGKILL" in line for line in lines), lines
