"""The simulator's fast executor answers exactly what graphql-core's executor answers."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest
from graphql import execute_sync

from control_plane.domain.providers import Provider
from harness.settings import SimulatorSettings
from loadtests.simulator import shopify_graphql
from loadtests.simulator.config import AccountConfig
from loadtests.simulator.shopify_bulk import BulkState
from loadtests.simulator.shopify_nodes import Scope
from loadtests.simulator.shopify_root import Bulk, QueryRoot
from loadtests.simulator.shopify_schema import schema
from loadtests.simulator.state import Simulator

DOCUMENTS = [
    "{ products(first: 3) { edges { cursor node { id title tags status options { id name position values } } } } }",
    """query($first: Int!) { a: products(first: $first) { nodes { id ...P } pageInfo { hasNextPage endCursor } } }
       fragment P on Product { variants(first: 3) { nodes { id price selectedOptions { name value }
         inventoryItem { measurement { weight { unit value } } } } } }""",
    """{ products(first: 2) { nodes { media(first: 2) { nodes { __typename id ... on MediaImage {
         image { url width height altText } } } } images(first: 1) { nodes { url } } } } }""",
    """query($skip: Boolean!) { productsCount { count precision } products(first: 2) {
         nodes { id title @skip(if: $skip) handle @include(if: $skip) } } }""",
    '{ product(id: "gid://shopify/Product/7000000000001") { id variants(last: 2) { nodes { position } } } }',
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_projection_matches_graphql_core(document: str) -> None:
    sim = Simulator(SimulatorSettings(seed=5))
    state = sim.account(Provider.SHOPIFY, "projection")
    state.config = AccountConfig(products=6, variants_min=1, variants_max=5, images_min=0, images_max=3)
    root = QueryRoot(
        Scope(5, "http://sim", state.catalog), Bulk(BulkState(), "projection", datetime.now(UTC), "2026-10")
    )
    variables = {"first": 4, "skip": True}
    used = {k: v for k, v in variables.items() if f"${k}" in document}
    prepared = shopify_graphql.prepare(document, used, None)
    ours = msgspec.json.decode(bytes(shopify_graphql._run(prepared, root)[0]))
    theirs = execute_sync(schema(), prepared.document, root_value=root, variable_values=used)
    assert theirs.errors is None
    assert ours == theirs.data
