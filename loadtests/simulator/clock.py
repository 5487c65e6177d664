"""The simulator's time source, injected so rate buckets and bulk schedules are testable.

Buckets read ``monotonic()`` (seconds, only differences matter) and catalog
edits and bulk operations read ``now()`` (a UTC instant).  Tests install a
fake clock and move it forward instead of sleeping.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...


class SystemClock:
    """Real time: what the simulator process uses."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)
