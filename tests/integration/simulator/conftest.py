"""The simulator tests' fixtures: its proxied address, and accounts of each test's own, reset afterwards.

They shadow the integration suite's ``sim`` (the simulator's admin client) for this folder only.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from harness.settings import SimulatorSettings


@pytest.fixture
def sim() -> SimulatorSettings:
    return SimulatorSettings()


@pytest.fixture
async def http(sim: SimulatorSettings) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=sim.shopify_base, timeout=10.0, limits=limits) as client:
        try:
            response = await client.get("/_sim/health")
        except httpx.HTTPError as exc:
            pytest.fail(f"simulator unreachable through toxiproxy; run `importctl stack up --infra-only` ({exc})")
        assert response.status_code == 200
        yield client


@pytest.fixture
async def accounts(http: httpx.AsyncClient) -> AsyncIterator[Callable[[str], str]]:
    """Hands out unique account names and resets each of them (both providers) at the end."""
    made: list[str] = []

    def make(label: str) -> str:
        made.append(f"t-{label}-{uuid.uuid4().hex[:10]}")
        return made[-1]

    yield make
    for account in made:
        for provider in ("shopify", "roastify"):
            await http.delete(f"/_sim/accounts/{provider}/{account}")
