"""The simulator's cached GraphQL answers are the answers it would build, and never stale."""

from __future__ import annotations

from datetime import UTC, datetime

from control_plane.domain.providers import Provider
from harness.settings import SimulatorSettings
from loadtests.simulator import shopify_graphql
from loadtests.simulator.catalog import Touch
from loadtests.simulator.config import AccountConfig
from loadtests.simulator.shopify_bulk import BulkState
from loadtests.simulator.shopify_nodes import Scope
from loadtests.simulator.shopify_root import Bulk, QueryRoot
from loadtests.simulator.state import Simulator

SEED = 20260101
BASE = "http://127.0.0.1:18091"
NOW = datetime(2026, 12, 2, tzinfo=UTC)
PAGE = """query($first: Int!, $after: String) { products(first: $first, after: $after) {
  edges { cursor node { id updatedAt variants(first: 5) { nodes { id price } } media(first: 2) {
    nodes { ... on MediaImage { id image { url } } } } } }
  pageInfo { hasNextPage endCursor } } }"""


def _root(account: str, touches: tuple[Touch, ...] = (), base: str = BASE) -> QueryRoot:
    sim = Simulator(SimulatorSettings(seed=SEED))
    state = sim.account(Provider.SHOPIFY, account)
    state.config = AccountConfig(products=120)
    state.touches = touches
    return QueryRoot(Scope(SEED, base, state.catalog), Bulk(BulkState(), account, NOW, "2026-10"))


def test_a_cached_answer_is_the_built_answer_byte_for_byte() -> None:
    root = _root("cache-bytes", (Touch(15, datetime(2030, 1, 1, tzinfo=UTC)),))
    prepared = shopify_graphql.prepare(PAGE, {"first": 40}, None)
    cached = shopify_graphql._answer(root, prepared, PAGE)
    built = shopify_graphql._run(prepared, root)
    assert bytes(cached[0]) == bytes(built[0]) and cached[1:] == built[1:]
    assert shopify_graphql._answer(root, prepared, PAGE)[0] is cached[0]  # served from the cache the second time


def test_a_touch_or_another_base_url_is_a_different_answer() -> None:
    prepared = shopify_graphql.prepare(PAGE, {"first": 5}, None)
    before = bytes(shopify_graphql._answer(_root("cache-touch"), prepared, PAGE)[0])
    touched = _root("cache-touch", (Touch(3, datetime(2030, 1, 1, tzinfo=UTC)),))
    after = bytes(shopify_graphql._answer(touched, prepared, PAGE)[0])
    elsewhere = bytes(shopify_graphql._answer(_root("cache-touch", base="http://localhost:9"), prepared, PAGE)[0])
    assert before != after and b"2030-01-01T00:00:00Z" in after
    assert before != elsewhere and b"http://localhost:9/images/" in elsewhere
