"""Products through the real pipeline, in-process: ``ImportRun`` driven the way the worker's runner drives it.

A job is submitted through ``ImportService`` and claimed through
``JobExecution`` (so checkpoints are fenced on a real lease), then its pages
are processed with images off and committed one by one.  Only the page loop
and the completion are timed; the provider wait is added up separately, so
the report can tell provider time from our own.
"""

from __future__ import annotations

import time
import uuid
from contextlib import aclosing
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob
from control_plane.integrations.providers import ProviderClients, create_http_client
from control_plane.integrations.providers.base import ProductPage, ProviderClient
from control_plane.services.execution import JobExecution
from control_plane.services.import_inputs import load_inputs
from control_plane.services.import_run import ImportRun, Progress
from control_plane.services.imports import ImportRequest, ImportService
from loadtests.bench.context import OPERATOR, BenchContext, BenchShop
from workers.runtime import tune_garbage_collection

WORKER_ID = "bench:in-process"


@dataclass(frozen=True)
class PipelineRun:
    job_id: uuid.UUID
    products: int
    failed: int
    pages: int
    seconds: float
    fetch_seconds: float
    commit_seconds: float
    cpu_seconds: float
    """CPU time of this process during the run: how much of the wall time was our own Python."""

    @property
    def per_second(self) -> float:
        return self.products / self.seconds if self.seconds else 0.0


class TimedClient:
    """A provider client that adds up how long the pipeline waited for pages."""

    def __init__(self, inner: ProviderClient) -> None:
        self.provider = inner.provider
        self._inner = inner
        self.seconds = 0.0

    async def fetch_page(
        self,
        cursor: str | None,
        *,
        page_size: int | None = None,
        updated_since: datetime | None = None,
        bulk_allowed: bool = False,
        sample: bool = False,
    ) -> ProductPage:
        started = time.perf_counter()
        try:
            return await self._inner.fetch_page(
                cursor, page_size=page_size, updated_since=updated_since, bulk_allowed=bulk_allowed, sample=sample
            )
        finally:
            self.seconds += time.perf_counter() - started


async def submit(ctx: BenchContext, shop: BenchShop, options: dict[str, Any]) -> uuid.UUID:
    """A PENDING job written the API's way (committed before anything else happens to it)."""
    async with ctx.sessions() as session:
        service = ImportService(session, actor=OPERATOR)
        submission = await service.submit(ImportRequest(shop.integration_id, options=options), idempotency_key=None)
        await session.commit()
    return submission.job.id


async def run_pipeline(ctx: BenchContext, shop: BenchShop) -> PipelineRun:
    tune_garbage_collection(ctx.settings.worker.gc_young_threshold)  # as the worker does at startup
    job_id = await submit(ctx, shop, {"include_images": False})
    lease_ttl = timedelta(seconds=ctx.settings.worker.lease_ttl_s)
    async with create_http_client(ctx.settings) as http, ctx.sessions() as session:
        execution = JobExecution(session, worker_id=WORKER_ID, lease_ttl=lease_ttl)
        job = await execution.claim(job_id)
        await session.commit()
        if job is None:
            raise RuntimeError(f"bench job {job_id} could not be claimed")
        inputs = await load_inputs(session, job, ctx.secrets)
        client = TimedClient(ProviderClients(http, ctx.redis, ctx.settings)(inputs.access))
        run = ImportRun(
            session,
            job=job,
            client=client,
            rules=inputs.rules,
            context=inputs.context,
            images=None,
            execution=execution,
        )
        return await _drive(session, run, execution, job, client)


async def _drive(
    session: AsyncSession, run: ImportRun, execution: JobExecution, job: ImportJob, client: TimedClient
) -> PipelineRun:
    """The runner's loop: commit after every page, complete the job at the end."""
    started, cpu_started = time.perf_counter(), time.process_time()
    commit_seconds, progress = 0.0, Progress()
    async with aclosing(run.pages()) as pages:
        async for page in pages:
            before_commit = time.perf_counter()
            await session.commit()
            commit_seconds += time.perf_counter() - before_commit
            progress = page.progress
    await execution.complete(job, asdict(progress))
    await session.commit()
    return PipelineRun(
        job_id=job.id,
        products=progress.products_processed,
        failed=progress.products_failed,
        pages=progress.pages,
        seconds=time.perf_counter() - started,
        fetch_seconds=client.seconds,
        commit_seconds=commit_seconds,
        cpu_seconds=time.process_time() - cpu_started,
    )
