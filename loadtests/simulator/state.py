"""In-memory state of every account: configuration, touches, limits, faults and counters.

The simulator is one asyncio process, and no handler awaits between reading
and updating this state, so no locks are needed.  An account that was never
configured behaves with the defaults and is created on first use.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from control_plane.domain.providers import Provider
from harness.settings import SimulatorSettings
from loadtests.simulator.catalog import Catalog, CatalogSpec, Touch
from loadtests.simulator.clock import Clock, SystemClock
from loadtests.simulator.config import AccountConfig, effective_credential
from loadtests.simulator.edits import CatalogEdits, replace_images
from loadtests.simulator.limits import Limits
from loadtests.simulator.shopify_bulk import BulkState


@dataclass
class Stats:
    """What happened to one account, for load-run verdicts and chaos drills."""

    requests: defaultdict[str, defaultdict[str, int]] = field(default_factory=lambda: defaultdict(_counter))
    rate_limited_429: int = 0
    """HTTP 429 answers (Shopify REST and Roastify)."""
    graphql_throttled: int = 0
    """GraphQL ``THROTTLED`` answers (HTTP 200)."""
    rest_bucket_max: float = 0.0
    """Highest Shopify REST bucket level after an accepted call."""
    graphql_points_max_used: float = 0.0
    """Highest share of the GraphQL point bucket in use (maximum minus available) after a query."""
    graphql_max_query_cost: int = 0
    """Highest actual cost of one query."""
    graphql_max_requested_cost: int = 0
    """Highest requested cost of one query (refused ones included)."""
    graphql_points_charged: int = 0
    """Points kept after refunds, over all successful queries."""
    graphql_outcomes: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    """Answers by outcome: ok, throttled, max_cost_exceeded, invalid."""
    roastify_max_requests_60s: int = 0
    """Most Roastify requests accepted within one rolling 60 s window."""
    api_arrivals: int = 0
    """Provider API calls received, counted on arrival (before any injected latency), so a call the client sent
    just before a breaker opened is not counted as arriving after it, however slow its answer."""

    def record(self, endpoint: str, status: int) -> None:
        self.requests[endpoint][str(status)] += 1
        if status == 429:
            self.rate_limited_429 += 1

    def graphql_outcome(self, outcome: str) -> None:
        self.graphql_outcomes[str(outcome)] += 1
        if outcome == "throttled":
            self.graphql_throttled += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": {endpoint: dict(sorted(by_status.items())) for endpoint, by_status in self.requests.items()},
            "rate_limited_429": self.rate_limited_429,
            "graphql_throttled": self.graphql_throttled,
            "rest_bucket_max": round(self.rest_bucket_max, 3),
            "graphql_points_max_used": round(self.graphql_points_max_used, 3),
            "graphql_max_query_cost": self.graphql_max_query_cost,
            "graphql_max_requested_cost": self.graphql_max_requested_cost,
            "graphql_points_charged": self.graphql_points_charged,
            "graphql_outcomes": {o: self.graphql_outcomes.get(o, 0) for o in _OUTCOMES},
            "roastify_max_requests_60s": self.roastify_max_requests_60s,
            "api_arrivals": self.api_arrivals,
        }


_OUTCOMES = ("ok", "throttled", "max_cost_exceeded", "invalid")


def _counter() -> defaultdict[str, int]:
    return defaultdict(int)


@dataclass
class AccountState:
    """One (provider, account): everything the handlers read and update."""

    provider: Provider
    account: str
    config: AccountConfig
    seed: int
    clock: Clock = field(default_factory=SystemClock)
    fault_rng: random.Random = field(init=False)
    burst_remaining: int = field(init=False)
    touches: tuple[Touch, ...] = ()
    edits: CatalogEdits = field(default_factory=CatalogEdits)
    limits: Limits = field(init=False)
    bulk: BulkState = field(default_factory=BulkState)
    stats: Stats = field(default_factory=Stats)

    def __post_init__(self) -> None:
        self.limits = Limits(self.clock.monotonic)
        self.arm_faults()

    def arm_faults(self) -> None:
        """Restart the fault sequence: a fresh deterministic RNG and the configured 503 burst."""
        self.fault_rng = random.Random(f"{self.seed}:{self.provider}:{self.account}:faults")
        self.burst_remaining = self.config.faults.burst_5xx

    @property
    def credential(self) -> str:
        return effective_credential(self.provider, self.account, self.config)

    @property
    def catalog(self) -> Catalog:
        return Catalog(self.spec, self.touches, self.edits)

    @property
    def spec(self) -> CatalogSpec:
        return CatalogSpec.of(self.seed, self.provider.value, self.account, self.config)

    def _now(self, now: datetime | None) -> datetime:
        return (now or self.clock.now()).replace(microsecond=0)

    def touch(self, count: int, now: datetime | None = None) -> Touch:
        """Mark the first ``count`` products updated now; older touches it covers are dropped."""
        touch = Touch(count, self._now(now))
        self.touches = (*(t for t in self.touches if t.count > count), touch)
        return touch

    def remove_products(self, indices: list[int]) -> None:
        """Products gone from every surface; the others keep their indices and ids."""
        self.edits = self.edits.remove(indices)

    def replace_images(self, indices: list[int], drop: int, add: int, now: datetime | None = None) -> datetime:
        """Drop the first ``drop`` images of each product, append ``add`` new ones; returns the new updated_at."""
        now_at = latest = self._now(now)
        catalog, edits = self.catalog, self.edits
        for index in dict.fromkeys(indices):
            at = max(now_at, catalog.updated_at(index) + timedelta(seconds=1))
            edit = replace_images(self.spec, catalog.product(index), edits.images.get(index), drop, add, at)
            edits, latest = edits.with_images(index, edit), max(latest, at)
        self.edits = edits
        return latest


class Simulator:
    """Every account the simulator has seen, created lazily with the defaults."""

    def __init__(self, settings: SimulatorSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._accounts: dict[tuple[Provider, str], AccountState] = {}

    def defaults(self) -> AccountConfig:
        return AccountConfig(products=self.settings.default_products)

    def account(self, provider: Provider, account: str) -> AccountState:
        key = (provider, account)
        state = self._accounts.get(key)
        if state is None:
            state = self._accounts[key] = AccountState(
                provider, account, self.defaults(), self.settings.seed, self.clock
            )
        return state

    def config_of(self, provider: Provider, account: str) -> AccountConfig:
        """The account's configuration without creating state for it."""
        state = self._accounts.get((provider, account))
        return state.config if state is not None else self.defaults()

    def configure(self, provider: Provider, account: str, config: AccountConfig) -> None:
        """Install a new configuration; the fault sequence restarts, limits restart if the plan changed."""
        state = self.account(provider, account)
        state.config = config
        state.arm_faults()

    def forget(self, provider: Provider, account: str) -> None:
        """Back to the defaults: configuration, touches, limits, faults and counters."""
        self._accounts.pop((provider, account), None)
