"""Samples taken during a run: job states from PostgreSQL, tier and queue depth from the ops API."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.repositories.load_runs import LoadRunRepository

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")


@dataclass(frozen=True)
class Sample:
    t: float
    """Seconds since the run started."""
    statuses: dict[str, int]
    tier: str | None
    depth: int | None
    live_workers: int | None

    @property
    def in_flight(self) -> int:
        return sum(n for status, n in self.statuses.items() if status not in TERMINAL)


@dataclass
class Sampler:
    sessions: async_sessionmaker[AsyncSession]
    api: httpx.AsyncClient
    interval_s: float
    started: float = field(default_factory=time.time)
    samples: list[Sample] = field(default_factory=list)
    errors: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.take()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)

    async def take(self) -> Sample:
        async with self.sessions() as session:
            statuses = await LoadRunRepository(session).status_counts()
        state, workers = await self._get("/api/v1/ops/state"), await self._get("/api/v1/ops/workers")
        sample = Sample(
            t=time.time() - self.started,
            statuses=statuses,
            tier=state.get("tier") if state else None,
            depth=state.get("depth") if state else None,
            live_workers=_live(workers),
        )
        self.samples.append(sample)
        return sample

    async def _get(self, path: str) -> dict[str, Any] | None:
        try:
            response = await self.api.get(path)
        except httpx.HTTPError:
            self.errors += 1
            return None
        if response.status_code != 200:
            self.errors += 1
            return None
        body: dict[str, Any] = response.json()
        return body

    def as_rows(self) -> list[dict[str, Any]]:
        return [asdict(sample) | {"in_flight": sample.in_flight} for sample in self.samples]


def _live(workers: dict[str, Any] | None) -> int | None:
    if not workers:
        return None
    for key in ("live", "live_workers"):
        if isinstance(workers.get(key), int):
            return int(workers[key])
    items = workers.get("workers")
    return len(items) if isinstance(items, list) else None
