"""The fair dispatcher's state in Redis: one line per company, a rotation per tier, delayed jobs.

Jobs wait here, not in arq's single time-ordered queue; the feeder moves a
line's head job into arq only when a worker slot is free, in the order
:mod:`control_plane.domain.fair_share` decides.  Every move is one Lua script
(:mod:`control_plane.integrations.dispatch_scripts`).  PostgreSQL stays the
authority: whatever is lost here, the reconciler finds and files again.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta

from arq.connections import ArqRedis
from arq.constants import expires_extra_ms, in_progress_key_prefix, result_key_prefix, retry_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms

from control_plane.domain.fair_share import TIER_ORDER
from control_plane.domain.jobs import IMPORT_TASK_NAME
from control_plane.domain.principals import Tier
from control_plane.domain.queueing import DispatchOutcome, QueueEntry
from control_plane.integrations import dispatch_scripts
from control_plane.integrations.redis_state._scripts import text

ARQ_JOB_KEY_PREFIX = "arq:job:"
PROMOTE_BATCH = 500
ROTATION_READ = 64
"""Companies read per tier per pick: enough to skip paused ones without reading every line."""


@dataclass(frozen=True)
class DispatcherCounts:
    ready: int
    """In a company's line, waiting for a worker slot."""
    delayed: int
    """Due later (backpressure deferral, pause recheck)."""


@dataclass(frozen=True)
class Snapshot:
    lines: dict[Tier, list[str]]
    """Per tier, companies with a job ready, oldest turn first."""
    credits: dict[Tier, int]


class FairDispatcher:
    """Reads and atomic moves of the dispatcher state kept next to one arq queue."""

    def __init__(self, redis: ArqRedis, queue_name: str) -> None:
        self._redis = redis
        self._queue_name = queue_name
        self.prefix = dispatch_scripts.key_prefix(queue_name)
        self._file = redis.register_script(dispatch_scripts.FILE_LUA)
        self._promote = redis.register_script(dispatch_scripts.PROMOTE_LUA)
        self._dispatch = redis.register_script(dispatch_scripts.DISPATCH_LUA)

    @property
    def jobs_key(self) -> str:
        return dispatch_scripts.jobs_key(self._queue_name)

    @property
    def delayed_key(self) -> str:
        return dispatch_scripts.delayed_key(self._queue_name)

    @property
    def state_key(self) -> str:
        return f"{self.prefix}:state"

    def line_key(self, company: str) -> str:
        return f"{self.prefix}:line:{company}"

    def rotation_key(self, tier: Tier | str) -> str:
        return f"{self.prefix}:rotation:{Tier(tier).value}"

    async def file(self, entry: QueueEntry, *, defer_by: timedelta | None = None) -> bool:
        """Put the job in its company's line (or delayed), out of arq; True if some queue already held it."""
        job, company = str(entry.job_id), str(entry.company_id)
        keys = [
            self.jobs_key,
            self.delayed_key,
            self.line_key(company),
            self.rotation_key(entry.tier),
            self.state_key,
            ARQ_JOB_KEY_PREFIX + job,
            in_progress_key_prefix + job,
            self._queue_name,
            result_key_prefix + job,
            retry_key_prefix + job,
        ]
        defer_ms = int(defer_by.total_seconds() * 1000) if defer_by else 0
        meta = f"{entry.tier.value} {company}"
        args: list[str | int] = [job, meta, defer_ms, entry.tier.value, company, int(entry.resumed)]
        return bool(await self._file(keys=keys, args=args))

    async def promote(self) -> int:
        """Move due delayed jobs into their lines; how many moved."""
        keys = [self.jobs_key, self.delayed_key, self.state_key]
        return int(await self._promote(keys=keys, args=[self.prefix, PROMOTE_BATCH]))

    async def snapshot(self, skip_companies: Collection[str] = ()) -> Snapshot:
        """The rotations (without ``skip_companies``) and the tier credits, in one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for tier in TIER_ORDER:
                pipe.zrange(self.rotation_key(tier), 0, ROTATION_READ - 1)
            pipe.hgetall(self.state_key)
            *rotations, state = await pipe.execute()
        lines = {
            tier: [c for c in map(text, members) if c not in skip_companies]
            for tier, members in zip(TIER_ORDER, rotations, strict=True)
        }
        fields = {text(k): int(v) for k, v in state.items()}
        return Snapshot(lines, {tier: fields.get(f"credit:{tier.value}", 0) for tier in TIER_ORDER})

    async def head(self, company: str) -> str | None:
        members = await self._redis.zrange(self.line_key(company), 0, 0)
        return text(members[0]) if members else None

    async def dispatch(self, job: str, company: str, tier: Tier, credits: dict[Tier, int]) -> DispatchOutcome:
        """Move ``job`` (its line's head) into arq due now; the script's integer answer is mapped here, once."""
        payload = serialize_job(
            IMPORT_TASK_NAME, (job,), {}, None, timestamp_ms(), serializer=self._redis.job_serializer
        )
        keys = [
            self.jobs_key,
            self.line_key(company),
            self.rotation_key(tier),
            self.state_key,
            ARQ_JOB_KEY_PREFIX + job,
            self._queue_name,
            result_key_prefix + job,
            retry_key_prefix + job,
        ]
        pairs = [value for t in TIER_ORDER for value in (t.value, credits.get(t, 0))]
        reply = await self._dispatch(keys=keys, args=[job, payload, expires_extra_ms, tier.value, company, *pairs])
        return DispatchOutcome(int(reply))

    async def counts(self) -> DispatcherCounts:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hlen(self.jobs_key)
            pipe.zcard(self.delayed_key)
            held, delayed = await pipe.execute()
        return DispatcherCounts(ready=max(0, int(held) - int(delayed)), delayed=int(delayed))

    async def holding(self, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, bool]:
        """Whether each job waits here for real: delayed, or in its line with its company in the rotation."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.hget(self.jobs_key, str(job_id))
                pipe.zscore(self.delayed_key, str(job_id))
            replies = await pipe.execute()
        metas = {job_id: replies[2 * i] for i, job_id in enumerate(job_ids)}
        held = {job_id: replies[2 * i + 1] is not None for i, job_id in enumerate(job_ids)}
        in_line = [job_id for job_id in job_ids if metas[job_id] is not None and not held[job_id]]
        if in_line:
            async with self._redis.pipeline(transaction=False) as pipe:
                for job_id in in_line:
                    tier, company = text(metas[job_id]).split(" ", 1)
                    pipe.zscore(self.line_key(company), str(job_id))
                    pipe.zscore(self.rotation_key(tier), company)
                replies = await pipe.execute()
            for i, job_id in enumerate(in_line):
                held[job_id] = replies[2 * i] is not None and replies[2 * i + 1] is not None
        return held
