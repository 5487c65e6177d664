"""Probes: the steady-state hypothesis, fault detection and recovery, each a cheap yes/no with a value.

Every probe bounds its own time and turns errors into a failed check, so a
dead dependency reads as "not ready" instead of crashing the drill.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, cast

import httpx
import sqlalchemy as sa

from chaos.env import ChaosEnv, Tenant
from chaos.faults import bounded
from chaos.model import Check
from control_plane.db.models import ImportJob, JobEvent
from control_plane.domain.breaker import Transition, breaker_scopes
from control_plane.integrations.redis_state.circuit_breaker import RedisCircuitBreaker

PROBE_TIMEOUT_S = 3.0
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
FINISHED_EVENTS = ("completed", "failed", "cancelled")
"""Job events that move a job into one of the TERMINAL states."""


async def api_ready(env: ChaosEnv) -> Check:
    """The API's own readiness (PostgreSQL and Redis through the proxies, like every request)."""
    try:
        response = await env.api.get("/health/ready", timeout=PROBE_TIMEOUT_S)
    except httpx.HTTPError as exc:
        return Check("API ready", False, type(exc).__name__, 200)
    return Check("API ready", response.status_code == 200, response.status_code, 200)


async def proxies_clean(env: ChaosEnv) -> Check:
    try:
        proxies = await bounded(env.toxiproxy.proxies)
    except Exception as exc:
        return Check("proxies enabled, no toxics", False, repr(exc)[:80], "all clean")
    dirty = sorted(name for name, p in proxies.items() if not p["enabled"] or p["toxics"])
    return Check("proxies enabled, no toxics", not dirty, dirty or "clean", "all clean")


def workers_live(env: ChaosEnv, minimum: int) -> Check:
    live = env.workers.live()
    return Check("workers live", len(live) >= minimum, len(live), f">= {minimum}")


async def breaker_state(env: ChaosEnv, tenant: Tenant) -> str:
    scope = breaker_scopes(tenant.provider.value, str(tenant.integration_id))[1]
    raw = await cast(Awaitable[Any], env.redis.hget(f"icp:breaker:state:{scope}", "state"))
    return raw.decode() if isinstance(raw, bytes) else (raw or "closed")


async def breaker_closed(env: ChaosEnv, tenant: Tenant) -> Check:
    try:
        state = await asyncio.wait_for(breaker_state(env, tenant), PROBE_TIMEOUT_S)
    except Exception as exc:
        return Check("provider breaker closed", False, repr(exc)[:80], "closed")
    return Check("provider breaker closed", state == "closed", state, "closed")


async def breaker_transitions(env: ChaosEnv, tenant: Tenant) -> list[Transition]:
    """The transitions of the tenant's own integration breaker, oldest first."""
    return await scope_transitions(env, breaker_scopes(tenant.provider.value, str(tenant.integration_id))[1])


async def scope_transitions(env: ChaosEnv, scope: str) -> list[Transition]:
    """The recent transitions of one breaker scope (``shopify`` is the provider-wide one), oldest first."""
    store = RedisCircuitBreaker.from_settings(env.redis, env.settings.breaker)
    return [t for t in await store.recent_transitions(1000) if t.scope == scope]


async def steady_state(env: ChaosEnv, tenant: Tenant, minimum_workers: int) -> list[Check]:
    """The hypothesis: the API is ready, nothing is broken, enough workers run, the provider's breaker is closed."""
    return [
        await api_ready(env),
        await proxies_clean(env),
        workers_live(env, minimum_workers),
        await breaker_closed(env, tenant),
    ]


async def job_rows(env: ChaosEnv, job_ids: list[uuid.UUID]) -> list[Any]:
    if not job_ids:
        return []
    async with env.sessions() as session:
        query = sa.select(
            ImportJob.id, ImportJob.status, ImportJob.worker_id, ImportJob.heartbeat_at, ImportJob.finished_at
        ).where(ImportJob.id.in_(job_ids))
        return list(await session.execute(query))


def _status(row: Any) -> str:
    return str(getattr(row.status, "value", row.status))


async def all_settled(env: ChaosEnv, job_ids: list[uuid.UUID]) -> bool:
    rows = await job_rows(env, job_ids)
    return len(rows) == len(job_ids) and all(_status(r) in TERMINAL for r in rows)


async def running_jobs(env: ChaosEnv, job_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """RUNNING job -> the name of the worker holding it (worker ids are ``<host>:<name>``)."""
    rows = await job_rows(env, job_ids)
    return {r.id: r.worker_id.rsplit(":", 1)[-1] for r in rows if _status(r) == "RUNNING" and r.worker_id}


async def events_since(env: ChaosEnv, job_ids: list[uuid.UUID], since: datetime, kinds: tuple[str, ...]) -> list[Any]:
    if not job_ids:
        return []
    async with env.sessions() as session:
        query = (
            sa.select(JobEvent.job_id, JobEvent.kind, JobEvent.at, JobEvent.message)
            .where(JobEvent.job_id.in_(job_ids), JobEvent.at > since, JobEvent.kind.in_(kinds))
            .order_by(JobEvent.at)
        )
        return list(await session.execute(query))
