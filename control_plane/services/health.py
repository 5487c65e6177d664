"""Readiness: the API can serve only while PostgreSQL and Redis both answer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.health import ping
from control_plane.domain.errors import DependencyUnavailable
from control_plane.services.ports import WorkQueue

CHECK_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class DependencyCheck:
    name: str
    ok: bool
    detail: str


async def _check_database(sessions: async_sessionmaker[AsyncSession]) -> DependencyCheck:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S), sessions() as session:
            await ping(session)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        return DependencyCheck("database", False, f"unreachable: {type(exc).__name__}")
    return DependencyCheck("database", True, "ok")


async def _check_queue(queue: WorkQueue) -> DependencyCheck:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await queue.ping()
    except (DependencyUnavailable, TimeoutError) as exc:
        return DependencyCheck("redis", False, f"unreachable: {type(exc).__name__}")
    return DependencyCheck("redis", True, "ok")


async def check_readiness(sessions: async_sessionmaker[AsyncSession], queue: WorkQueue) -> list[DependencyCheck]:
    return list(await asyncio.gather(_check_database(sessions), _check_queue(queue)))
