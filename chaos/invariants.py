"""The invariants every drill ends with, checked against PostgreSQL and S3 (never against Redis alone).

- lost jobs: a job the API accepted (202/200 to the client) that PostgreSQL does not hold;
- submitted = accounted: every accepted key maps to exactly one job row;
- no job wrongly failed, and no job marked COMPLETED that did not import its whole catalog;
- the tenant's products and images against what the simulator served (``catalog_checks``): every
  served product stored, none the provider never served, every served image stored (both keys, both
  objects in S3) or failed with a reason, no row claiming success without a key, no extra image rows;
- no orphans after two reconciliation passes: the second pass finds nothing left to fix.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import sqlalchemy as sa

from chaos.catalog_checks import catalog_checks
from chaos.context import DrillContext
from chaos.env import ChaosEnv, Tenant
from chaos.model import Check
from chaos.workload import WorkloadResult
from control_plane.db.models import ImportJob, ProductImage
from control_plane.integrations.queue import RedisWorkQueue
from control_plane.services.reconciliation import Reconciler


async def job_statuses(env: ChaosEnv, job_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not job_ids:
        return {}
    async with env.sessions() as session:
        rows = await session.execute(sa.select(ImportJob.id, ImportJob.status).where(ImportJob.id.in_(job_ids)))
        return {row.id: str(row.status.value if hasattr(row.status, "value") else row.status) for row in rows}


async def _jobs(env: ChaosEnv, tenant: Tenant) -> list[Any]:
    async with env.sessions() as session:
        query = sa.select(
            ImportJob.id,
            ImportJob.status,
            ImportJob.idempotency_key,
            ImportJob.products_total,
            ImportJob.products_processed,
            ImportJob.last_error,
        ).where(ImportJob.company_id == tenant.company_id)
        return list(await session.execute(query))


def _status(row: Any) -> str:
    return str(getattr(row.status, "value", row.status))


def accounting_checks(rows: list[Any], workload: WorkloadResult, catalog_size: int) -> list[Check]:
    """Pure part: compare what the client was told with what PostgreSQL holds."""
    by_key = Counter(row.idempotency_key for row in rows)
    statuses = {row.id: _status(row) for row in rows}
    accepted = workload.accepted
    lost = [key for key, job_id in accepted.items() if job_id not in statuses]
    duplicates = sum(count - 1 for key, count in by_key.items() if key is not None and count > 1)
    failed = [row for row in rows if _status(row) == "FAILED"]
    dishonest = [row for row in rows if _status(row) == "COMPLETED" and (row.products_processed or 0) < catalog_size]
    return [
        Check("lost jobs", not lost, len(lost), 0, ", ".join(lost[:5])),
        Check(
            "submitted = accounted",
            len(accepted) == len(set(accepted.values())) == len(rows) and not duplicates,
            f"{len(accepted)} accepted / {len(rows)} rows",
            "equal",
        ),
        Check(
            "jobs wrongly failed", not failed, len(failed), 0, "; ".join(str(r.last_error)[:120] for r in failed[:3])
        ),
        Check("jobs completed without their whole catalog", not dishonest, len(dishonest), 0),
        Check(
            "jobs finished",
            all(s in ("COMPLETED", "FAILED", "CANCELLED") for s in statuses.values()),
            Counter(statuses.values()).most_common(),
            "all terminal",
        ),
        Check("5xx without a problem body", workload.dishonest_errors == 0, workload.dishonest_errors, 0),
    ]


async def image_checks(ctx: DrillContext) -> list[Check]:
    """After a storage fault: no image row left unstored (the attempt must fail and retry, not drop the image).

    The simulator serves no broken image in drills, so every image row should have reached S3.
    """
    async with ctx.env.sessions() as session:
        rows = list(
            await session.execute(
                sa.select(ProductImage.status, sa.func.count())
                .where(ProductImage.company_id == ctx.tenant.company_id, ProductImage.s3_key.is_(None))
                .group_by(ProductImage.status)
            )
        )
    unstored = {str(status): int(count) for status, count in rows}
    return [Check("image rows never stored", not unstored, sum(unstored.values()), 0, str(unstored or ""))]


async def reconcile_twice(env: ChaosEnv) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two full reconciliation passes (as the cron would run them); the second must find nothing."""
    queue = RedisWorkQueue(env.redis, env.settings.redis.queue_name)  # type: ignore[arg-type]
    reports = []
    for _ in range(2):
        async with env.sessions() as session:
            reconciler = Reconciler(
                session,
                queue,
                end_transaction=session.commit,
                actor="chaos-harness",
                pending_grace_s=env.settings.worker.pending_grace_s,
            )
            reports.append((await reconciler.full_pass()).as_dict())
            await session.commit()
    return reports[0], reports[1]


async def check_all(env: ChaosEnv, tenant: Tenant, workload: WorkloadResult, catalog_size: int) -> list[Check]:
    rows = await _jobs(env, tenant)
    checks = accounting_checks(rows, workload, catalog_size)
    checks += await catalog_checks(env, tenant, catalog_size)
    first, second = await reconcile_twice(env)
    fixes = {k: v for k, v in second.items() if v}
    checks.append(Check("orphans after two reconciliation passes", not fixes, fixes or 0, 0, f"first pass {first}"))
    return checks


async def canary_check(env: ChaosEnv, canary: WorkloadResult) -> Check:
    """The canary vendor's imports were accepted and completed: timing recovery on them lost nothing either."""
    if not canary.accepted and not canary.not_accepted:
        return Check("canary vendor's imports completed", True, 0, "all completed", "no canary: timed per crash")
    statuses = await job_statuses(env, list(canary.accepted.values()))
    unfinished = sorted({status for status in statuses.values() if status != "COMPLETED"})
    missing = len(canary.accepted) - len(statuses)
    ok = not unfinished and not missing and not canary.not_accepted
    detail = ", ".join([*unfinished, *(["missing"] if missing else []), *canary.not_accepted][:5])
    return Check("canary vendor's imports completed", ok, len(statuses), "all completed", detail)
