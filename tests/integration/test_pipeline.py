"""The import pipeline end to end: real workers, simulator, PostgreSQL, S3 — all through toxiproxy."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import Integration, JobEvent, Product, ProductImage, StorageUsage
from control_plane.integrations.images import S3ImageStore
from tests.integration.conftest import IMPORTS, Rig
from tests.support.jobs import event_kinds, wait_for_status

ARQ_RETRY = "retrying job in"
"""arq's log line for a job re-queued by arq itself (``Retry``): the feeder must decide every rerun instead."""


async def _catalog(sessions: async_sessionmaker[AsyncSession]) -> tuple[list[Any], list[Any], list[Any]]:
    async with sessions() as session:
        products = (await session.execute(sa.select(Product).order_by(Product.external_id))).scalars().all()
        images = (await session.execute(sa.select(ProductImage).order_by(ProductImage.id))).scalars().all()
        usage = (await session.execute(sa.select(StorageUsage))).scalars().all()
    return (
        [(p.id, p.external_id, p.title, p.price, p.updated_at, p.variants) for p in products],
        [(i.id, i.source_url, i.status, i.s3_key, i.thumbnail_key, i.updated_at) for i in images],
        [(u.company_id, u.bytes_stored, u.objects_stored) for u in usage],
    )


async def test_import_stores_products_images_and_thumbnails(rig: Rig, store: S3ImageStore) -> None:
    await rig.shop(products=30, images_min=1, images_max=2, image_width=640, image_height=480)
    (worker,) = rig.start_workers(1)
    job_id = await rig.submit()
    job = await wait_for_status(rig.sessions, job_id, "COMPLETED", "FAILED", timeout_s=90)
    assert job.status.value == "COMPLETED", job.last_error
    assert (job.products_processed, job.products_failed, job.images_failed) == (30, 0, 0)
    assert job.images_processed == job.images_total >= 30
    products, images, usage = await _catalog(rig.sessions)
    assert len(products) == 30 and len({p[1] for p in products}) == 30
    assert all(isinstance(p[3], Decimal) and p[3] > 0 for p in products)
    assert len(images) == job.images_total and {i[2] for i in images} == {"stored"}
    for _, _, _, original, thumbnail, _ in images:
        assert await store.exists(original) and await store.exists(thumbnail)
    assert usage and usage[0][2] == 2 * len(images)
    kinds = await event_kinds(rig.sessions, job_id)
    assert kinds[:3] == ["created", "queued", "started"] and kinds[-1] == "completed"
    assert '"job.completed"' in worker.log_text() and '"productsImported": 30' in worker.log_text()


async def test_the_start_records_when_the_job_reached_arq_and_its_worker(rig: Rig) -> None:
    """The load report splits a slot's idle time at these moments: handed to arq <= picked <= started."""
    await rig.shop(products=2, images_min=0, images_max=0)
    rig.start_workers(1)
    job_id = await rig.submit()
    await wait_for_status(rig.sessions, job_id, "COMPLETED", "FAILED", timeout_s=60)
    async with rig.sessions() as session:
        started = (
            await session.execute(sa.select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.kind == "started"))
        ).scalar_one()
    dispatched = datetime.fromisoformat(started.data["dispatched_at"])
    picked = datetime.fromisoformat(started.data["picked_at"])
    slack = timedelta(seconds=1)  # the feeder's and the worker's clocks against PostgreSQL's
    assert dispatched <= picked + slack and picked <= started.at + slack
    assert started.at - dispatched < timedelta(seconds=30)


async def test_rerunning_an_import_changes_nothing(rig: Rig) -> None:
    await rig.shop(products=25, images_min=0, images_max=2)
    rig.start_workers(1)
    first = await rig.submit()
    assert (await wait_for_status(rig.sessions, first, "COMPLETED", "FAILED")).status.value == "COMPLETED"
    before = await _catalog(rig.sessions)
    second = await rig.submit()
    job = await wait_for_status(rig.sessions, second, "COMPLETED", "FAILED")
    assert job.status.value == "COMPLETED", job.last_error
    assert job.products_processed == 25
    assert await _catalog(rig.sessions) == before, "a re-run must leave every row and counter as it was"


async def test_a_bad_image_fails_alone_and_the_job_completes(rig: Rig) -> None:
    await rig.shop(products=20, images_min=2, images_max=2, faults={"broken_images": 0.5})
    rig.start_workers(1)
    job = await wait_for_status(rig.sessions, await rig.submit(), "COMPLETED", "FAILED")
    assert job.status.value == "COMPLETED", job.last_error
    assert job.images_failed > 0 and job.images_processed > 0
    assert job.images_failed + job.images_processed == job.images_total == 40
    async with rig.sessions() as session:
        errors = (await session.execute(sa.select(ProductImage.error).where(ProductImage.status == "failed"))).scalars()
        assert all(error and error.split(":")[0] in {"decode", "format"} for error in errors)


async def test_bad_credentials_fail_at_once_with_the_reason(rig: Rig) -> None:
    await rig.shop(products=5, credential="shpat_rotated_elsewhere")
    rig.start_workers(1)
    job = await wait_for_status(rig.sessions, await rig.submit(), "COMPLETED", "FAILED")
    assert job.status.value == "FAILED" and job.attempt_count == 1
    assert job.last_error is not None and "credentials" in job.last_error


async def test_a_job_whose_integration_was_disabled_fails_at_once_without_retries(rig: Rig) -> None:
    await rig.shop(products=5)
    job_id = await rig.submit()  # no worker yet: the integration is disabled while the job waits
    async with rig.sessions() as session, session.begin():
        await session.execute(
            sa.update(Integration).where(Integration.id == rig.tenants.acme.integration_id).values(enabled=False)
        )
    rig.start_workers(1)
    job = await wait_for_status(rig.sessions, job_id, "COMPLETED", "FAILED")
    assert job.status.value == "FAILED" and job.attempt_count == 1
    assert job.last_error == "PermanentJobFailure: the job's integration no longer exists or is disabled"


async def test_transient_provider_errors_are_retried_then_complete(rig: Rig) -> None:
    # The client tries each call 4 times: 4 straight 503s fail the first attempt (below the
    # breaker's 5), and the retry a second later succeeds.
    await rig.shop(products=10, images_max=0, faults={"burst_5xx": 4})
    (worker,) = rig.start_workers(1)
    job_id = await rig.submit()
    job = await wait_for_status(rig.sessions, job_id, "COMPLETED", "FAILED", timeout_s=60)
    assert job.status.value == "COMPLETED", job.last_error
    assert job.attempt_count == 2
    assert "retry_scheduled" in await event_kinds(rig.sessions, job_id)
    assert ARQ_RETRY not in worker.log_text(), "a retry waits in the dispatcher, not in arq's own retry"


async def test_an_open_breaker_defers_the_job_without_spending_attempts(rig: Rig) -> None:
    # 10 straight 503s: the 5th consecutive failure opens the breaker (2 s in tests); the job is
    # handed back and deferred, then completes once the provider answers again.
    await rig.shop(products=10, images_max=0, faults={"burst_5xx": 10})
    (worker,) = rig.start_workers(1)
    job_id = await rig.submit()
    job = await wait_for_status(rig.sessions, job_id, "COMPLETED", "FAILED", timeout_s=90)
    assert job.status.value == "COMPLETED", job.last_error
    kinds = await event_kinds(rig.sessions, job_id)
    assert "handed_back" in kinds
    async with rig.sessions() as session:
        handed_back = await session.execute(
            sa.select(JobEvent.data).where(JobEvent.job_id == job_id, JobEvent.kind == "handed_back")
        )
        delays = [data["delay_s"] for data in handed_back.scalars()]
    assert delays and all(delay > 0 for delay in delays), "the deferral is on the timeline (not waiting meanwhile)"
    assert job.attempt_count <= job.max_attempts - 1, "deferrals must not use up the retry budget"
    assert ARQ_RETRY not in worker.log_text(), "a deferral waits in the dispatcher's delayed set, fed in its turn"


async def test_cancelling_a_running_import_stops_it_at_the_next_page(rig: Rig) -> None:
    await rig.shop(products=1000, images_max=0, faults={"latency_ms": 700})
    rig.start_workers(1)
    job_id = await rig.submit()
    await wait_for_status(rig.sessions, job_id, "RUNNING")
    response = await rig.client.post(f"{IMPORTS}/{job_id}/cancel", headers=rig.tenants.acme.auth)
    assert response.status_code == 202 and response.json()["cancel_requested_at"] is not None
    job = await wait_for_status(rig.sessions, job_id, "CANCELLED", "COMPLETED", timeout_s=30)
    assert job.status.value == "CANCELLED"
    assert job.products_processed < 1000
