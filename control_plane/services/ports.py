"""What the services need from the outside, as protocols (adapters live in integrations)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Protocol


class JobQueue(Protocol):
    async def enqueue_import(self, job_id: uuid.UUID, *, defer_by: timedelta | None = None) -> bool: ...

    async def is_queued(self, job_id: uuid.UUID) -> bool: ...

    async def ping(self) -> None: ...
