"""Job status moves on a Redis pub/sub channel: published after the commit, awaited by long-poll waiters.

A message is the space-separated ids of the jobs one commit moved.  Each API
process keeps one subscriber connection (:class:`JobChangeListener`) that wakes
the waiters of the named jobs.  Messages are hints, never the truth: a publish
that fails is logged and dropped, a listener that lost Redis reconnects, and a
waiter that heard nothing re-reads the job when its wait ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import structlog
from redis.asyncio import Redis

from control_plane.integrations.redis_state._scripts import REDIS_ERRORS, text

JOB_CHANGES_CHANNEL = "icp:jobs:changed"
PUBLISH_TIMEOUT_S = 1.0
"""A status move waits at most this long for its announcement (the move is committed already)."""
IDLE_READ_S = 0.25
"""The subscriber's longest read: it checks for a stop this often (it is stopped by a flag, not cancelled
mid-command, which could leave redis-py's connection half-open and the shutdown waiting on it)."""
PING_AFTER_S = 5.0
"""The subscriber pings Redis after this long without a message, so a dropped connection is noticed."""
RECONNECT_DELAY_S = 1.0
STOP_WAIT_S = 3.0

log = structlog.get_logger("control_plane.job_changes")


def channel(queue_name: str) -> str:
    """One channel per queue name, as the queue's keys are, so deployments sharing a Redis stay apart."""
    return f"{JOB_CHANGES_CHANNEL}:{queue_name}"


class JobChangePublisher:
    """Announces committed status moves; never raises (the database stays the authority)."""

    def __init__(self, redis: Redis, queue_name: str) -> None:
        self._redis = redis
        self._channel = channel(queue_name)

    async def announce(self, job_ids: frozenset[uuid.UUID]) -> None:
        message = " ".join(sorted(str(job_id) for job_id in job_ids))
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT_S):
                await self._redis.publish(self._channel, message)
        except REDIS_ERRORS as exc:  # TimeoutError included: it is an OSError
            log.warning("job_change.publish_failed", jobs=len(job_ids), error=str(exc) or type(exc).__name__)


class JobWatch:
    """One waiter's wake-up: set by the listener when a message names its job."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        self._event.set()

    async def changed(self, timeout_s: float) -> bool:
        """Wait until a message names the job (True) or ``timeout_s`` passes (False); re-armed either way."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._event.wait()
        except TimeoutError:
            return False
        finally:
            self._event.clear()  # before the caller re-reads: a later message wakes the next wait
        return True


class JobChangeListener:
    """The process's one subscriber, dispatching each message to the waiters of the jobs it names."""

    def __init__(self, redis: Redis, queue_name: str) -> None:
        self._redis = redis
        self._channel = channel(queue_name)
        self._watches: defaultdict[uuid.UUID, set[JobWatch]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.subscribed = False
        """Whether announcements reach this process now (False while Redis is away)."""

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="job-change-listener")

    async def stop(self) -> None:
        """Ask the subscriber to stop (within a read); cancel it only if it does not."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        done, _ = await asyncio.wait({task}, timeout=STOP_WAIT_S)
        if not done:
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=STOP_WAIT_S)
        if not done:
            log.warning("job_change.listener_not_stopped")

    @contextlib.asynccontextmanager
    async def watch(self, job_id: uuid.UUID) -> AsyncIterator[JobWatch]:
        """Woken by every message naming ``job_id`` while the block runs (enter it before reading the job)."""
        watch = JobWatch()
        self._watches[job_id].add(watch)
        try:
            yield watch
        finally:
            watches = self._watches.get(job_id)
            if watches is not None:
                watches.discard(watch)
                if not watches:
                    del self._watches[job_id]

    def waiting(self, job_id: uuid.UUID) -> int:
        """How many waiters this process has for ``job_id``."""
        return len(self._watches.get(job_id, ()))

    def dispatch(self, data: bytes | str) -> None:
        for word in text(data).split():
            try:
                job_id = uuid.UUID(word)
            except ValueError:
                continue
            for watch in self._watches.get(job_id, ()):
                watch.wake()

    async def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._subscribed()
            except REDIS_ERRORS as exc:  # waiters time out and re-read meanwhile
                log.warning("job_change.listener_lost", error=str(exc) or type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), RECONNECT_DELAY_S)
            finally:
                self.subscribed = False

    async def _subscribed(self) -> None:
        async with self._redis.pubsub() as pubsub:
            await pubsub.subscribe(self._channel)
            self.subscribed = True
            last_heard = time.monotonic()
            while not self._stopping.is_set():
                message: dict[str, Any] | None = await pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=IDLE_READ_S
                )
                if message is not None:
                    last_heard = time.monotonic()
                    if message.get("type") == "message":
                        self.dispatch(message["data"])
                elif time.monotonic() - last_heard > PING_AFTER_S:
                    await pubsub.ping()  # its answer is the next message
