"""A noisy neighbour: another client of the same app on the same shop spends its REST quota: 429 storms.

Shopify's REST bucket is per app and store ("each app has access to a bucket"),
so another app's calls never drain ours; what does is another client using the
same app's access token on the shop (a vendor's own script, a second
integration of theirs). The neighbour calls the simulator directly (its real
port) with the shop's token as fast as a few connections allow, keeping the
leaky bucket full; the drill checks that the system's own calls met 429s.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import httpx

_CONNECTIONS = 4


@dataclass
class NoisyNeighbour:
    admin: httpx.AsyncClient
    account: str
    api_version: str
    name: str = "noisy neighbour draining the REST quota"
    calls: int = 0
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def attributes(self) -> dict[str, Any]:
        return {"account": self.account, "connections": _CONNECTIONS, "calls": self.calls}

    async def inject(self) -> None:
        self._tasks = [asyncio.create_task(self._hammer()) for _ in range(_CONNECTIONS)]

    async def _hammer(self) -> None:
        path = f"/shopify/{self.account}/admin/api/{self.api_version}/products.json"
        headers = {"X-Shopify-Access-Token": f"shpat_sim_{self.account}"}
        while True:
            with contextlib.suppress(httpx.HTTPError):
                await self.admin.get(path, params={"limit": 1}, headers=headers)
                self.calls += 1

    async def rollback(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    @staticmethod
    async def stats(admin: httpx.AsyncClient, account: str) -> dict[str, Any]:
        response = await admin.get(f"/_sim/stats/shopify/{account}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    @classmethod
    async def rate_limited(cls, admin: httpx.AsyncClient, account: str) -> int:
        return int((await cls.stats(admin, account))["rate_limited_429"])

    @classmethod
    async def api_calls(cls, admin: httpx.AsyncClient, account: str) -> int:
        """Provider API calls the account received, counted on arrival (image downloads are not API calls).

        On arrival, not on answer: a call sent just before the breaker opened, answered after an
        injected latency, must not count as one the open breaker let through.
        """
        return int((await cls.stats(admin, account))["api_arrivals"])
