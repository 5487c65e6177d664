"""The provider simulator in-process, on a fake clock, for fast contract tests.

The app is the one the stack runs (``loadtests.simulator.app.create_app``);
only its clock is replaced, so rate-limit restores and bulk-operation
schedules move when a test calls :meth:`FakeClock.advance`, never by sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from harness.settings import SimulatorSettings
from loadtests.simulator.app import create_app

SEED = 20260101
VERSION = "2026-10"
START = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


class FakeClock:
    """Both of the simulator's time sources, moved only by :meth:`advance`."""

    def __init__(self, start: datetime = START) -> None:
        self._start = start
        self._elapsed = 0.0

    def monotonic(self) -> float:
        return 1000.0 + self._elapsed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def advance(self, seconds: float) -> None:
        self._elapsed += seconds


@dataclass
class ShopifySim:
    """A test client on one simulator, with shortcuts for one provider account at a time."""

    client: TestClient[Any]
    clock: FakeClock

    def configure(self, shop: str, provider: str = "shopify", **config: Any) -> dict[str, Any]:
        response = self.client.put(f"/_sim/accounts/{provider}/{shop}", json=config)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def admin(self, shop: str, action: str, body: dict[str, Any], provider: str = "shopify") -> Any:
        return self.client.post(f"/_sim/accounts/{provider}/{shop}/{action}", json=body)

    def stats(self, shop: str, provider: str = "shopify") -> dict[str, Any]:
        return dict(self.client.get(f"/_sim/stats/{provider}/{shop}").json())

    def graphql(self, shop: str, query: str, variables: dict[str, Any] | None = None, *, version: str = VERSION) -> Any:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        headers = {"X-Shopify-Access-Token": f"shpat_sim_{shop}"}
        return self.client.post(f"/shopify/{shop}/admin/api/{version}/graphql.json", json=body, headers=headers)

    def rest(self, shop: str, *, version: str = VERSION, **params: Any) -> Any:
        headers = {"X-Shopify-Access-Token": f"shpat_sim_{shop}"}
        return self.client.get(f"/shopify/{shop}/admin/api/{version}/products.json", params=params, headers=headers)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)


@contextmanager
def shopify_sim(seed: int = SEED, clock: FakeClock | None = None) -> Iterator[ShopifySim]:
    """A fresh simulator with its own state on a fake clock."""
    clock = clock or FakeClock()
    app = create_app(SimulatorSettings(seed=seed), clock=clock)
    with TestClient(app=app) as client:
        yield ShopifySim(client, clock)
