"""Periodic task shells: reconcile PostgreSQL with the queue, sweep expired leases, sweep storage garbage.

All are arq cron jobs; arq's ``unique`` cron ids make one worker of the fleet
run each tick.  A pass that cannot reach Redis or PostgreSQL only logs: the
next tick retries, and PostgreSQL stays the authority meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from arq.cron import CronJob, cron
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.domain.errors import DomainError
from control_plane.integrations.images import S3ImageStore
from control_plane.services import storage_sweep
from control_plane.services.reconciliation import Reconciler, ReconcileReport
from control_plane.settings import WorkerSettings
from workers.resources import CronResources, resources

log = structlog.get_logger("workers.reconciliation")

_MIN_TIMEOUT_S = 60
"""A pass slower than this is cut short; its uncommitted work is redone by the next one."""

_Pass = Callable[[Reconciler], Awaitable[ReconcileReport]]


def cron_schedule(interval_s: int) -> dict[str, Any]:
    """arq ``cron()`` keyword arguments that fire every ``interval_s`` seconds, aligned on the clock.

    cron fields cannot express arbitrary periods, so only periods that tile a minute
    (under 60 s) or an hour (whole minutes) are accepted; anything else fails at import time.
    """
    if interval_s < 1:
        raise ValueError(f"a reconciliation interval must be at least 1 second, not {interval_s}")
    if interval_s < 60:
        if 60 % interval_s:
            raise ValueError(
                f"an interval under 60 s must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30), not {interval_s}"
            )
        return {"second": set(range(0, 60, interval_s))}
    minutes, rest = divmod(interval_s, 60)
    if rest or 60 % minutes:
        raise ValueError(
            f"an interval of 60 s or more must be whole minutes dividing an hour (60, 120, 300, 600, … 3600), "
            f"not {interval_s}"
        )
    return {"minute": set(range(0, 60, minutes)), "second": 0}


async def reconcile(ctx: dict[str, Any]) -> dict[str, int | bool]:
    """The full orphan pass: expired leases, QUEUED jobs Redis lost, PENDING jobs never enqueued."""
    return await _run(ctx, "full", Reconciler.full_pass)


async def sweep_leases(ctx: dict[str, Any]) -> dict[str, int | bool]:
    """Only expired leases, every few seconds, so a dead worker's job resumes elsewhere quickly."""
    return await _run(ctx, "lease_sweep", Reconciler.sweep_leases)


async def _run(ctx: dict[str, Any], kind: str, run: _Pass) -> dict[str, int | bool]:
    cron = resources(ctx, CronResources)
    started = time.monotonic()
    try:
        async with cron.sessions() as session:
            reconciler = Reconciler(
                session,
                cron.queue,
                end_transaction=session.commit,
                pending_grace_s=cron.settings.worker.pending_grace_s,
            )
            report = await run(reconciler)  # on the database clock, as leases are
            await session.commit()
    except (SQLAlchemyError, OSError) as exc:
        log.warning("reconcile.failed", kind=kind, reason="database unavailable", error=str(exc))
        return {"database_unavailable": True}
    counts = report.as_dict()
    level = log.warning if report.redis_unavailable else log.info
    level("reconcile.pass", kind=kind, duration_ms=round((time.monotonic() - started) * 1000, 1), **counts)
    return counts


async def sweep_storage(ctx: dict[str, Any]) -> dict[str, int | bool]:
    """The storage sweep as a cron task of a worker (the image store is a worker's)."""
    worker = resources(ctx)
    grace_s = worker.settings.worker.storage_garbage_grace_s
    return await sweep_unreferenced(worker.sessions, worker.image_tools.store, grace_s=grace_s)


async def sweep_unreferenced(
    sessions: async_sessionmaker[AsyncSession], store: S3ImageStore, *, grace_s: float
) -> dict[str, int | bool]:
    """Delete objects of keys no image row references (past the grace), batch by batch, until none is due.

    Commits after the claim and after the release, never across the S3 deletes.
    """
    report = storage_sweep.SweepReport()
    try:
        async with sessions() as session:
            await storage_sweep.forget_settled_jobs(session)
            await session.commit()
        while True:
            async with sessions() as session:
                claim = await storage_sweep.claim_garbage(session, grace_s=grace_s)
                await session.commit()
            if not claim.ids:
                break
            report.deleted += await storage_sweep.delete_objects(store, claim.unreferenced_keys)
            async with sessions() as session:
                await storage_sweep.release_garbage(session, claim)
                await session.commit()
            report.released += len(claim.ids)
    except (SQLAlchemyError, OSError, DomainError) as exc:  # S3 away or refusing: the next tick retries
        log.warning("storage_sweep.failed", error=str(exc), **report.as_dict())
        return {"unavailable": True, **report.as_dict()}
    log.info("storage_sweep.pass", **report.as_dict())
    return dict(report.as_dict())


def reconciliation_cron_jobs(settings: WorkerSettings) -> list[CronJob]:
    """Both passes as arq cron jobs, one run per tick across the fleet.

    The sweep also runs when a worker starts, so a fleet restarted after a crash resumes orphans at once.
    """
    return [
        cron(
            reconcile,
            unique=True,
            timeout=max(settings.reconcile_interval_s, _MIN_TIMEOUT_S),
            **cron_schedule(settings.reconcile_interval_s),
        ),
        cron(
            sweep_leases,
            unique=True,
            run_at_startup=True,
            timeout=max(settings.lease_sweep_interval_s, _MIN_TIMEOUT_S),
            **cron_schedule(settings.lease_sweep_interval_s),
        ),
        cron(
            sweep_storage,
            unique=True,
            timeout=max(settings.storage_sweep_interval_s, _MIN_TIMEOUT_S),
            **cron_schedule(settings.storage_sweep_interval_s),
        ),
    ]
