"""The provider simulator's fault knobs and account configuration, through its toxiproxy proxy.

Bursts of 503s, random 500s, latency, a gone shop, calls counted on arrival (what the
breaker drill counts), and configuration that is validated, shown, patched and reset.
Needs `importctl stack up --infra-only`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from harness.settings import SimulatorSettings
from tests.support.jobs import poll
from tests.support.simulator_http import configure, rest_page

pytestmark = pytest.mark.integration


async def test_fault_knobs_burst_errors_latency_and_gone(
    http: httpx.AsyncClient, accounts: Callable[[str], str]
) -> None:
    shop = accounts("faults")
    await configure(http, "shopify", shop, products=2, faults={"burst_5xx": 3})
    statuses = [(await rest_page(http, shop)).status_code for _ in range(4)]
    assert statuses == [503, 503, 503, 200]
    await configure(http, "shopify", shop, products=2, faults={"error_rate": 1.0})
    failed = await rest_page(http, shop)
    assert (failed.status_code, failed.json()) == (500, {"errors": "Internal Server Error"})
    await configure(http, "shopify", shop, products=2, faults={"latency_ms": 300})
    started = time.monotonic()
    assert (await rest_page(http, shop)).status_code == 200
    assert time.monotonic() - started >= 0.3
    await configure(http, "shopify", shop, gone=True)
    gone = await rest_page(http, shop)
    assert (gone.status_code, gone.json()) == (404, {"errors": "Not Found"})
    stats = (await http.get(f"/_sim/stats/shopify/{shop}")).json()
    assert stats["requests"]["shopify.rest.products"] == {"200": 2, "404": 1, "500": 1, "503": 3}


async def test_a_call_is_counted_on_arrival_before_its_injected_latency(
    http: httpx.AsyncClient, accounts: Callable[[str], str]
) -> None:
    """The breaker drill's count: a call sent before the breaker opened must not count as arriving after it."""
    shop = accounts("arrivals")
    await configure(http, "shopify", shop, products=2, faults={"latency_ms": 3000})
    call = asyncio.create_task(rest_page(http, shop))

    async def arrived() -> bool | None:
        return (await http.get(f"/_sim/stats/shopify/{shop}")).json()["api_arrivals"] == 1 or None

    await poll(arrived, timeout_s=2.5, every_s=0.05, what="the call counted on arrival")
    assert not call.done(), "answered already: the latency did not hold it"
    assert (await call).status_code == 200


async def test_account_config_is_validated_shown_and_reset(
    http: httpx.AsyncClient, sim: SimulatorSettings, accounts: Callable[[str], str]
) -> None:
    shop = accounts("config")
    path = f"/_sim/accounts/shopify/{shop}"
    bad = await http.put(path, json={"faults": {"error_rate": 1.5}})
    assert bad.status_code == 400 and bad.json()["field"] == "faults.error_rate"
    assert (await http.put(path, json={"products": 10_001})).json()["field"] == "products"
    assert (await http.put(path, json={"image_format": "gif"})).json()["field"] == "image_format"
    assert (await http.put(path, json={"variants_min": 5, "variants_max": 2})).json()["field"] == "variants_min"
    await configure(http, "shopify", shop, products=3, plan="plus")
    patched = await http.patch(path, json={"faults": {"latency_ms": 5}})
    assert patched.json()["products"] == 3 and patched.json()["faults"]["latency_ms"] == 5
    shown = (await http.get(path)).json()
    assert (shown["plan"], shown["credential"]) == ("plus", f"shpat_sim_{shop}")
    assert (await http.delete(path)).status_code == 204
    assert (await http.get(path)).json()["products"] == sim.default_products
