"""Status moves are announced after their commit, whichever edge commits them, and never fail for it."""

from __future__ import annotations

import uuid

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.engine import create_session_factory
from control_plane.db.models import ImportJob
from control_plane.integrations.queue import create_redis
from control_plane.integrations.redis_state.job_changes import JobChangePublisher
from control_plane.services.imports import ImportRequest, ImportService
from control_plane.settings import RedisSettings
from tests.conftest import OPERATOR, Tenants
from tests.integration.conftest import submit
from tests.support.jobs import job_row
from tests.support.served import free_port


async def cancel(sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> None:
    async with sessions() as session:
        await ImportService(session, actor=OPERATOR).cancel(job_id)
        await session.commit()


async def test_a_failed_announcement_never_fails_the_move(
    sessions: async_sessionmaker[AsyncSession],
    tenants: Tenants,
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    job_id = await submit(client, tenants.acme)
    away = create_redis(RedisSettings(port=free_port(), connect_timeout_s=0.2, socket_timeout_s=0.2))
    try:
        publisher = JobChangePublisher(away, "icp:test:nowhere")
        await cancel(create_session_factory(sessions.kw["bind"], announce=publisher.announce), job_id)
    finally:
        await away.aclose()
    assert (await job_row(sessions, job_id)).status.value == "CANCELLED"


async def test_a_commit_announces_the_jobs_it_moved_and_a_rollback_none(
    sessions: async_sessionmaker[AsyncSession],
    tenants: Tenants,
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    first, second = await submit(client, tenants.acme), await submit(client, tenants.acme)
    announced: list[frozenset[uuid.UUID]] = []

    async def record(job_ids: frozenset[uuid.UUID]) -> None:
        announced.append(job_ids)

    recording = create_session_factory(sessions.kw["bind"], announce=record)
    async with recording() as session:
        await ImportService(session, actor=OPERATOR).cancel(first)
        await session.rollback()
        await ImportService(session, actor=OPERATOR).cancel(second)
        await session.commit()
        await session.get(ImportJob, first)
        await session.commit()  # a commit that moved nothing announces nothing
    assert announced == [frozenset({second})]


async def test_the_one_statement_moves_of_a_submission_are_announced_too(
    sessions: async_sessionmaker[AsyncSession], tenants: Tenants
) -> None:
    """The job and its event written in one statement (the submit path) note the move like add_event does."""
    announced: list[frozenset[uuid.UUID]] = []

    async def record(job_ids: frozenset[uuid.UUID]) -> None:
        announced.append(job_ids)

    recording = create_session_factory(sessions.kw["bind"], announce=record)
    async with recording() as session:
        service = ImportService(session, actor=OPERATOR)
        submission = await service.submit(ImportRequest(tenants.acme.integration_id), idempotency_key=None)
        await session.commit()
    assert announced == [frozenset({submission.job.id})]
