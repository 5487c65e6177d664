"""What the operator dashboard reads: workers, providers, alarms and SLOs, assembled from PostgreSQL and Redis.

Read-only; operators and viewers. Every figure comes from the same stores the
metrics and alarms use, so the dashboard never disagrees with a scrape.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.repositories.ops_metrics import OpsRepository
from control_plane.domain.breaker import BreakerStatus, Transition
from control_plane.domain.errors import DependencyUnavailable, InvalidRequest
from control_plane.domain.principals import Principal
from control_plane.domain.slo import parse_duration
from control_plane.domain.slo_spec import SloSpecError
from control_plane.integrations.metrics.ops_state import AlarmStore, AutoscalerStore
from control_plane.integrations.metrics.provider_calls import ProviderCallCounters, is_error
from control_plane.integrations.redis_state._scripts import REDIS_ERRORS, text
from control_plane.integrations.redis_state.circuit_breaker import BREAKER_KEY_PREFIX, RedisCircuitBreaker
from control_plane.services.metrics import presence
from control_plane.services.slo import SloVerifier, load_slos
from control_plane.services.slo_document import as_document
from control_plane.settings import Settings

TRANSITIONS_SHOWN = 100
HISTORY_SHOWN = 100
SCOPES_SCANNED = 500


def _breaker(status: BreakerStatus) -> dict[str, Any]:
    opened = status.opened_at.isoformat() if status.opened_at else None
    return {
        "state": status.state.value,
        "failures": status.failures,
        "opened_at": opened,
        "retry_after_s": status.retry_after_s,
    }


def _transition(item: Transition) -> dict[str, Any]:
    return {
        "scope": item.scope,
        "from": item.from_state.value,
        "to": item.to_state.value,
        "at": item.at.isoformat(),
        "reason": item.reason,
    }


def parse_since(since: str, until: datetime) -> datetime:
    """A duration back from ``until`` (``24h``, ``7d``) or an ISO 8601 time (UTC without an offset)."""
    try:
        return until - parse_duration(since)
    except ValueError:
        pass
    except OverflowError:  # a duration back past year 1 (or past timedelta's range): no such window
        raise InvalidRequest("since: that duration reaches back before any time", field="since") from None
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        raise InvalidRequest("since: expected an ISO 8601 time or a duration like 24h", field="since") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class OpsReadService:
    """Operators and read-only viewers: the constructor refuses vendors."""

    def __init__(self, session: AsyncSession, redis: Redis, settings: Settings, *, actor: Principal) -> None:
        actor.ensure_observer()
        self._session = session
        self._repo = OpsRepository(session)
        self._redis = redis
        self._settings = settings

    async def workers(self) -> dict[str, Any]:
        """Live workers with their last stamp's age and the RUNNING jobs each holds; desired vs live."""
        now = await self._repo.now()
        jobs = await self._repo.running_jobs()
        try:
            members = await presence(self._redis, self._settings).members(now.timestamp())
            last = await AutoscalerStore(self._redis).last()
        except REDIS_ERRORS as exc:
            raise DependencyUnavailable("redis", f"worker presence unavailable: {exc}") from exc
        held: dict[str, list[dict[str, Any]]] = {}
        for job in jobs:
            held.setdefault(job.worker_id or "", []).append(
                {
                    "id": str(job.id),
                    "company_id": str(job.company_id),
                    "provider": job.provider.value,
                    "started_at": job.started_at.isoformat() if job.started_at else None,
                    "lease_expires_at": job.lease_expires_at.isoformat() if job.lease_expires_at else None,
                }
            )
        workers = [
            {
                "worker_id": worker,
                "last_seen_age_s": round(max(0.0, now.timestamp() - seen), 3),
                "running_jobs": held.pop(worker, []),
            }
            for worker, seen in sorted(members.items())
        ]
        return {
            "live": len(workers),
            "desired": last.desired if last is not None else None,
            "workers": workers,
            "running_elsewhere": [job for jobs_ in held.values() for job in jobs_],
        }

    async def providers(self) -> dict[str, Any]:
        """Per provider: call counts by status, errors, rate-limit waits, and each breaker scope's state."""
        breaker = RedisCircuitBreaker.from_settings(self._redis, self._settings.breaker)
        try:
            calls = await ProviderCallCounters(self._redis).read()
            scopes = await self._breaker_scopes()
            states = {scope: await breaker.state(scope) for scope in scopes}
            transitions = await breaker.recent_transitions(TRANSITIONS_SHOWN)
        except REDIS_ERRORS as exc:
            raise DependencyUnavailable("redis", f"provider state unavailable: {exc}") from exc
        names = {provider for provider, _ in calls.by_status} | set(calls.rate_limit_waits)
        names |= {scope.split(":", 1)[0] for scope in scopes}
        providers = []
        for name in sorted(names):
            statuses = {status: n for (provider, status), n in calls.by_status.items() if provider == name}
            mine = [scope for scope in scopes if scope.split(":", 1)[0] == name]
            providers.append(
                {
                    "provider": name,
                    "requests": sum(statuses.values()),
                    "requests_by_status": dict(sorted(statuses.items())),
                    "errors": sum(n for status, n in statuses.items() if is_error(status)),
                    "rate_limit_waits": calls.rate_limit_waits.get(name, 0),
                    "breakers": {scope: _breaker(states[scope]) for scope in mine},
                    "recent_transitions": [_transition(t) for t in transitions if t.scope.split(":", 1)[0] == name],
                }
            )
        return {"recent_error_ratio": calls.error_ratio, "providers": providers}

    async def alarms(self) -> dict[str, Any]:
        """Alarms firing now and the latest changes, each with its runbook."""
        store = AlarmStore(self._redis)
        try:
            return {"firing": await store.firing_entries(), "history": await store.history(HISTORY_SHOWN)}
        except REDIS_ERRORS as exc:
            raise DependencyUnavailable("redis", f"alarm state unavailable: {exc}") from exc

    async def slo(self, since: str | None) -> dict[str, Any]:
        """The SLO verifier's verdicts over [since, now) on the database clock (each SLO's window without since)."""
        verifier = SloVerifier(self._session)
        until = await verifier.now()
        start = parse_since(since, until) if since is not None else None
        try:
            reports = await verifier.verify(load_slos(), since=start, until=until)
        except SloSpecError as exc:
            raise InvalidRequest(str(exc), field="since") from exc
        return as_document(reports)

    async def _breaker_scopes(self) -> list[str]:
        scopes: list[str] = []
        async for key in self._redis.scan_iter(match=BREAKER_KEY_PREFIX + "*", count=200):
            scopes.append(text(key).removeprefix(BREAKER_KEY_PREFIX))
            if len(scopes) >= SCOPES_SCANNED:
                break
        return sorted(scopes)
