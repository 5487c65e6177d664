"""Polling with a deadline: how drills wait for a condition (never a fixed sleep)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def poll_until(check: Callable[[], Awaitable[bool]], timeout_s: float, every_s: float = 0.25) -> float | None:
    """Monotonic time ``check`` first held, or None at the deadline; probe errors count as 'not yet'."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if await check():
                return time.monotonic()
        except Exception:  # noqa: S110 - a probe that cannot answer has not seen the condition
            pass
        await asyncio.sleep(every_s)
    return None
