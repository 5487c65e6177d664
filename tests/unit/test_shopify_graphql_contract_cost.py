"""Contract: Shopify's calculated query cost, single-query limit, THROTTLED and refunds.

Documentation: https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits
"""

from __future__ import annotations

from typing import Any

import pytest

from loadtests.simulator import shopify_cost
from loadtests.simulator.limits import LeakyBucket
from tests.support.shopify_sim import ShopifySim, shopify_sim

ISSUE_QUERY = """{ products(first: 100) { edges { node {
  id title options { name values }
  variants(first: 100) { edges { node { id sku price selectedOptions { name value } } } }
  images(first: 20) { edges { node { id url altText width height } } } } } } }"""
SMALL_PAGE = """query($first: Int!) { products(first: $first) { edges { node {
  id variants(first: 10) { nodes { id inventoryItem { measurement { weight { unit value } } } } } } } } }"""
"""Per product: 1 + variants (2 + 10 x (1 + inventoryItem 1 + measurement 1 + weight 1)) = 43."""


def _cost(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body["extensions"]["cost"])


def _refuses_over_cost(sim: ShopifySim, shop: str) -> bool:
    body = sim.graphql(shop, ISSUE_QUERY).json()
    return "data" not in body and body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


def test_the_issue_query_requests_22602_points_and_is_refused() -> None:
    """ "A single query may not exceed a cost of 1,000 points" and "connections cost 2 plus first x node cost"."""
    with shopify_sim() as sim:
        sim.configure("cost-big", products=5)
        response = sim.graphql("cost-big", ISSUE_QUERY)
        assert response.status_code == 200
        body = response.json()
        assert _refuses_over_cost(sim, "cost-big")
        assert body["errors"][0]["extensions"]["cost"] == 22602
        assert _cost(body)["requestedQueryCost"] == 22602
        assert _cost(body)["throttleStatus"]["currentlyAvailable"] == 2000.0  # nothing charged
        stats = sim.stats("cost-big")
        assert stats["graphql_outcomes"]["max_cost_exceeded"] == 2
        assert stats["graphql_max_requested_cost"] == 22602


def test_a_simulator_without_the_limit_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Broken on purpose: without the single-query limit the check above must fail."""
    monkeypatch.setattr(shopify_cost, "MAX_QUERY_COST", 10**9)
    with shopify_sim() as sim:
        sim.configure("cost-broken", products=5, plan="enterprise")
        assert not _refuses_over_cost(sim, "cost-broken")


def test_a_query_within_1000_points_is_answered_with_its_cost() -> None:
    """ "requestedQueryCost" is computed before execution from the first arguments."""
    with shopify_sim() as sim:
        sim.configure("cost-ok", products=50, variants_min=10, variants_max=10)
        body = sim.graphql("cost-ok", SMALL_PAGE, {"first": 20}).json()
        assert len(body["data"]["products"]["edges"]) == 20
        assert _cost(body)["requestedQueryCost"] == 2 + 20 * 43
        assert _cost(body)["actualQueryCost"] == 2 + 20 * 43


def test_unused_cost_is_refunded() -> None:
    """ "The bucket is charged the requested cost up front and refunded the difference to the actual cost"."""
    with shopify_sim() as sim:
        sim.configure("cost-refund", products=3, variants_min=2, variants_max=2)
        body = sim.graphql("cost-refund", SMALL_PAGE, {"first": 20}).json()
        cost = _cost(body)
        assert cost["requestedQueryCost"] == 862
        assert cost["actualQueryCost"] == 2 + 3 * (1 + 2 + 2 * 4)
        assert cost["throttleStatus"]["currentlyAvailable"] == 2000.0 - cost["actualQueryCost"]
        assert sim.stats("cost-refund")["graphql_points_charged"] == cost["actualQueryCost"]


def test_throttled_until_the_bucket_restores() -> None:
    """ "Standard: 100 points/second" restore; a query above the points available is THROTTLED, nothing charged."""
    with shopify_sim() as sim:
        sim.configure("cost-throttle", products=50, variants_min=10, variants_max=10)
        for _ in range(2):
            assert "data" in sim.graphql("cost-throttle", SMALL_PAGE, {"first": 20}).json()
        throttled = sim.graphql("cost-throttle", SMALL_PAGE, {"first": 20}).json()
        assert "data" not in throttled
        assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
        status = _cost(throttled)["throttleStatus"]
        assert status == {"maximumAvailable": 2000.0, "currentlyAvailable": 2000.0 - 2 * 862, "restoreRate": 100.0}
        again = sim.graphql("cost-throttle", SMALL_PAGE, {"first": 20}).json()
        assert _cost(again)["throttleStatus"]["currentlyAvailable"] == status["currentlyAvailable"]  # not charged
        sim.clock.advance((862 - status["currentlyAvailable"]) / 100.0)
        assert "data" in sim.graphql("cost-throttle", SMALL_PAGE, {"first": 20}).json()
        outcomes = sim.stats("cost-throttle")["graphql_outcomes"]
        assert outcomes == {"ok": 3, "throttled": 2, "max_cost_exceeded": 0, "invalid": 0}


@pytest.mark.parametrize(
    ("plan", "maximum", "restore"),
    [
        ("standard", 2000.0, 100.0),
        ("advanced", 4000.0, 200.0),
        ("plus", 20000.0, 1000.0),
        ("enterprise", 40000.0, 2000.0),
    ],
)
def test_plans_restore_as_documented(plan: str, maximum: float, restore: float) -> None:
    """ "Standard 100, Advanced 200, Plus 1000, Enterprise 2000 points/second"."""
    with shopify_sim() as sim:
        sim.configure("cost-plan", products=1, plan=plan)
        status = _cost(sim.graphql("cost-plan", "{ productsCount { count } }").json())["throttleStatus"]
        assert (status["maximumAvailable"], status["restoreRate"]) == (maximum, restore)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ products(first: 251) { nodes { id } } }", "between 0 and 250"),
        ("{ products { nodes { id } } }", "you must provide one of first or last"),
        ("{ products(first: 1) { nodes { id nope } } }", "Field 'nope' doesn't exist on type 'Product'"),
        ("{ product(id: 1) { variants { nodes { id } } } }", "you must provide one of first or last"),
        ("query($n: Int!) { products(first: $n) { nodes { id } } }", "$n"),
    ],
)
def test_invalid_documents_are_refused_without_data(query: str, message: str) -> None:
    """Shopify answers validation errors with HTTP 200, an errors list and no data."""
    with shopify_sim() as sim:
        sim.configure("cost-invalid", products=3)
        response = sim.graphql("cost-invalid", query)
        body = response.json()
        assert response.status_code == 200 and "data" not in body
        assert message in body["errors"][0]["message"]
        assert body["errors"][0]["extensions"]["code"]
        assert "cost" in body["extensions"]
        assert sim.stats("cost-invalid")["graphql_outcomes"]["invalid"] == 1


def test_a_bucket_that_never_empties_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Broken on purpose: if the bucket always had room, the THROTTLED check above would fail."""
    monkeypatch.setattr(LeakyBucket, "free", lambda self: float(self.capacity))
    with shopify_sim() as sim:
        sim.configure("cost-bottomless", products=50, variants_min=10, variants_max=10)
        answers = [sim.graphql("cost-bottomless", SMALL_PAGE, {"first": 20}).json() for _ in range(3)]
        assert all("data" in answer for answer in answers)
