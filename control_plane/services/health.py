"""Readiness: the API can serve only while PostgreSQL and Redis both answer, and says so when one answers slowly.

A slow dependency keeps the API ready (it still serves, only later) but is
named: its check reads ``slow: <ms> ms`` and readiness is ``degraded``, the
first thing an operator (or a drill) sees of a dependency's latency.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.health import ping
from control_plane.domain.errors import DependencyUnavailable
from control_plane.services.ports import WorkQueue

CHECK_TIMEOUT_S = 3.0
SLOW_MS = {"database": 250.0, "redis": 100.0}
"""Round trips above which a dependency is named slow: a few times what a healthy one takes on a loaded host."""


@dataclass(frozen=True)
class DependencyCheck:
    name: str
    ok: bool
    detail: str
    slow: bool = False


def _answered(name: str, started: float) -> DependencyCheck:
    elapsed_ms = (time.monotonic() - started) * 1000
    if elapsed_ms > SLOW_MS[name]:
        return DependencyCheck(name, True, f"slow: {elapsed_ms:.0f} ms (> {SLOW_MS[name]:g} ms)", slow=True)
    return DependencyCheck(name, True, "ok")


async def _check_database(sessions: async_sessionmaker[AsyncSession]) -> DependencyCheck:
    started = time.monotonic()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S), sessions() as session:
            await ping(session)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        return DependencyCheck("database", False, f"unreachable: {type(exc).__name__}")
    return _answered("database", started)


async def _check_queue(queue: WorkQueue) -> DependencyCheck:
    started = time.monotonic()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await queue.ping()
    except (DependencyUnavailable, TimeoutError) as exc:
        return DependencyCheck("redis", False, f"unreachable: {type(exc).__name__}")
    return _answered("redis", started)


async def check_readiness(sessions: async_sessionmaker[AsyncSession], queue: WorkQueue) -> list[DependencyCheck]:
    return list(await asyncio.gather(_check_database(sessions), _check_queue(queue)))
