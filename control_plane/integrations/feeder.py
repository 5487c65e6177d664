"""The feeder: moves jobs from the dispatcher's lines into arq only as worker slots free up.

arq's queue is kept no longer than the free slots, so which job runs next is
decided by the fair-share policy at the last moment, not by arrival order.
Every worker runs a feeder loop; a short Redis lock (redis-py's ``Lock``: a
token set only if absent, with a TTL, released only by its owner) lets one of
them feed at a time (the tier credits are read and written by the holder only).
A pass is far shorter than the TTL, so the lock is not renewed; a holder that
dies mid-pass blocks the others until it lapses.  The
queue-wide job-start limit is spent here, one token per job handed to arq.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import structlog
from arq.connections import ArqRedis
from redis.exceptions import LockNotOwnedError

from control_plane.domain.errors import DependencyUnavailable
from control_plane.domain.fair_share import TierWeights, pick_next
from control_plane.domain.pausing import PauseScope
from control_plane.domain.queueing import DispatchOutcome
from control_plane.domain.ratelimit import JOB_STARTS_KEY, BucketSpec
from control_plane.integrations.dispatcher import FairDispatcher
from control_plane.integrations.metrics.presence import WorkerPresence
from control_plane.integrations.redis_state._scripts import REDIS_ERRORS
from control_plane.integrations.redis_state.ops_state import RedisOpsState
from control_plane.integrations.redis_state.token_bucket import RedisTokenBucket
from control_plane.settings import Settings

log = structlog.get_logger("control_plane.feeder")
LOCK_TTL_S = 10.0
_MAX_RACES = 20
"""Lines that changed under a pick (a cancel, a requeue) before a pass gives up until the next one."""


@dataclass(frozen=True)
class FeedReport:
    fed: int = 0
    free_slots: int = 0
    promoted: int = 0
    skipped: str | None = None
    """Why nothing was fed: another feeder holds the lock, the queue is paused, no start tokens."""


@dataclass(frozen=True)
class FeederConfig:
    slots_per_worker: int
    start_spec: BucketSpec
    weights: TierWeights
    ready_per_slot: int = 0
    """Jobs handed to arq ahead of each slot: the next job is already there when a slot frees."""

    @classmethod
    def of(cls, settings: Settings) -> FeederConfig:
        return cls(
            slots_per_worker=settings.worker.concurrency,
            start_spec=BucketSpec.per_minute(settings.rate_limit.job_starts_per_minute),
            weights=TierWeights(),
            ready_per_slot=settings.worker.ready_per_slot,
        )

    @property
    def places_per_worker(self) -> int:
        """arq entries due now that one live worker may have: its slots, and the jobs ready behind them."""
        return self.slots_per_worker * (1 + self.ready_per_slot)


class Feeder:
    def __init__(self, redis: ArqRedis, queue_name: str, presence: WorkerPresence, config: FeederConfig) -> None:
        self._redis = redis
        self._queue_name = queue_name
        self._presence = presence
        self._config = config
        self.dispatcher = FairDispatcher(redis, queue_name)
        self._ops = RedisOpsState(redis, queue_name)
        self._starts = RedisTokenBucket(redis)
        self._lock_key = f"{self.dispatcher.prefix}:feeder"

    async def free_slots(self) -> int:
        """Live workers' places minus arq entries due now (arq keeps a running job in its queue until it ends).

        A place is a slot or a job kept ready behind one (``ready_per_slot``).
        """
        seconds, micros = await self._redis.time()
        now_ms = seconds * 1000 + micros // 1000
        in_flight = int(await self._redis.zcount(self._queue_name, "-inf", now_ms))
        workers = max(1, await self._presence.live(float(seconds)))
        return workers * self._config.places_per_worker - in_flight

    async def feed_once(self) -> FeedReport:
        """One pass under the feeder lock; Redis errors surface as DependencyUnavailable."""
        lock = self._redis.lock(self._lock_key, timeout=LOCK_TTL_S, blocking=False, thread_local=False)
        try:
            if not await lock.acquire():
                return FeedReport(skipped="another feeder is feeding")
            try:
                return await self._feed()
            finally:
                with contextlib.suppress(LockNotOwnedError):  # it lapsed mid-pass: no longer ours to drop
                    await lock.release()
        except REDIS_ERRORS as exc:
            raise DependencyUnavailable("redis", f"dispatcher unavailable: {exc}") from exc

    async def _feed(self) -> FeedReport:
        promoted = await self.dispatcher.promote()
        pauses = await self._ops.pauses()
        if any(pause.target.scope is PauseScope.QUEUE for pause in pauses):
            return FeedReport(promoted=promoted, skipped="the queue is paused")
        paused = {p.target.target for p in pauses if p.target.scope is PauseScope.COMPANY and p.target.target}
        free = await self.free_slots()
        fed = races = 0
        while fed < free and races < _MAX_RACES:
            snapshot = await self.dispatcher.snapshot(paused)
            pick = pick_next(snapshot.credits, snapshot.lines, self._config.weights)
            if pick is None:
                break
            head = await self.dispatcher.head(pick.company)
            if head is not None and not (await self._starts.acquire(JOB_STARTS_KEY, self._config.start_spec)).allowed:
                return FeedReport(fed, free, promoted, skipped="job-start limit reached")
            outcome = await self.dispatcher.dispatch(head or "", pick.company, pick.tier, pick.credits)
            if outcome is DispatchOutcome.DISPATCHED:
                fed += 1
            elif outcome is not DispatchOutcome.ALREADY_IN_ARQ:  # that one runs without a new slot being filled
                races += 1
        return FeedReport(fed, max(free, 0), promoted)

    async def run(self, every_s: float, wake: asyncio.Event) -> None:
        """Feed every ``every_s`` or as soon as ``wake`` is set (a job ended), until cancelled.

        No error ends the loop: a feeder task that died would leave this worker idle for good while
        the dispatcher's lines fill up (the other workers' feeders may have died the same way).
        """
        while True:
            try:
                report = await self.feed_once()
                if report.fed:
                    log.debug("feeder.fed", fed=report.fed, free_slots=report.free_slots)
            except DependencyUnavailable as exc:
                log.warning("feeder.unavailable", error=exc.detail)
            except Exception:
                log.exception("feeder.pass_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=every_s)
            wake.clear()


class FeederLoop:
    """A worker's feeder task: runs for the worker's life, woken early whenever one of its jobs ends."""

    def __init__(self, feeder: Feeder, every_s: float) -> None:
        self._feeder = feeder
        self._every_s = every_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._feeder.run(self._every_s, self._wake))

    def wake(self) -> None:
        """A slot is free: fill it now rather than at the next tick."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
