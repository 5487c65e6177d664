"""Contract: bulk query operations, their lifecycle, JSONL files with ``__parentId``, Range and expiry.

Documentation: https://shopify.dev/docs/api/usage/bulk-operations/queries
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from loadtests.simulator.shopify_shapes import product_id
from tests.support.shopify_sim import FakeClock, ShopifySim, shopify_sim

RUN = """mutation($q: String!) { bulkOperationRunQuery(query: $q) {
  bulkOperation { id status } userErrors { field message code } } }"""
POLL = """query($id: ID!) { node(id: $id) { ... on BulkOperation {
  id status errorCode objectCount rootObjectCount fileSize url partialDataUrl createdAt completedAt } } }"""
CURRENT = "{ currentBulkOperation { id status url } }"
INNER = """{ products { edges { node { id title
  variants { edges { node { id sku } } }
  media { edges { node { ... on MediaImage { id image { url } } } } } } } } }"""


def _run(sim: ShopifySim, shop: str, inner: str = INNER) -> dict[str, Any]:
    body = sim.graphql(shop, RUN, {"q": inner}).json()
    return dict(body["data"]["bulkOperationRunQuery"])


def _poll(sim: ShopifySim, shop: str, gid: str) -> dict[str, Any]:
    return dict(sim.graphql(shop, POLL, {"id": gid}).json()["data"]["node"])


def _path(url: str) -> str:
    return url.split("testserver.local", 1)[1]


def test_lifecycle_jsonl_with_parent_ids_and_range() -> None:
    """CREATED -> RUNNING -> COMPLETED; "each nested object is its own line with __parentId"; Range is honoured."""
    with shopify_sim() as sim:
        sim.configure("bulk-life", products=4, variants_min=2, variants_max=2, images_min=1, images_max=1)
        sim.admin("bulk-life", "next-bulk-operation", {"queued_s": 5, "running_s": 10})
        started = _run(sim, "bulk-life")
        assert started["userErrors"] == [] and started["bulkOperation"]["status"] == "CREATED"
        gid = started["bulkOperation"]["id"]
        sim.clock.advance(6)
        assert _poll(sim, "bulk-life", gid)["status"] == "RUNNING"
        sim.clock.advance(10)
        done = _poll(sim, "bulk-life", gid)
        assert done["status"] == "COMPLETED" and done["completedAt"] and done["errorCode"] is None
        assert (done["objectCount"], done["rootObjectCount"]) == ("16", "4")
        file = sim.get(_path(done["url"]))
        assert file.status_code == 200 and int(done["fileSize"]) == len(file.content)
        lines = [msgspec.json.decode(line) for line in file.content.splitlines()]
        products = [line for line in lines if "__parentId" not in line]
        assert [p["id"] for p in products] == [f"gid://shopify/Product/{product_id(i)}" for i in range(4)]
        assert all("variants" not in p and "media" not in p for p in products)
        children = [line for line in lines if "__parentId" in line]
        assert {c["__parentId"] for c in children} == {p["id"] for p in products}
        assert sum(1 for c in children if "sku" in c) == 8 and sum(1 for c in children if "image" in c) == 4
        part = sim.get(_path(done["url"]), headers={"Range": "bytes=10-19"})
        assert part.status_code == 206 and part.content == file.content[10:20]
        assert part.headers["content-range"] == f"bytes 10-19/{len(file.content)}"
        assert sim.get(_path(done["url"]), headers={"Range": f"bytes={len(file.content)}-"}).status_code == 416
        assert sim.graphql("bulk-life", CURRENT).json()["data"]["currentBulkOperation"]["id"] == gid


def test_results_expire() -> None:
    """ "Results remain available for seven days" (here: the scripted expiry); then the URL stops working."""
    with shopify_sim() as sim:
        sim.configure("bulk-expiry", products=2)
        sim.admin("bulk-expiry", "next-bulk-operation", {"queued_s": 0, "running_s": 1, "expires_after_s": 30})
        gid = _run(sim, "bulk-expiry")["bulkOperation"]["id"]
        sim.clock.advance(2)
        url = _poll(sim, "bulk-expiry", gid)["url"]
        assert sim.get(_path(url)).status_code == 200
        sim.clock.advance(30)
        expired = _poll(sim, "bulk-expiry", gid)
        assert expired["status"] == "EXPIRED" and expired["url"] is None
        assert sim.get(_path(url)).status_code == 403


def test_a_scripted_failure_reports_its_error_code() -> None:
    with shopify_sim() as sim:
        sim.configure("bulk-fail", products=2)
        script = {"outcome": "failed", "error_code": "ACCESS_DENIED", "queued_s": 0, "running_s": 1}
        assert sim.admin("bulk-fail", "next-bulk-operation", script).status_code == 200
        gid = _run(sim, "bulk-fail")["bulkOperation"]["id"]
        sim.clock.advance(1)
        failed = _poll(sim, "bulk-fail", gid)
        assert (failed["status"], failed["errorCode"], failed["url"]) == ("FAILED", "ACCESS_DENIED", None)
        assert sim.stats("bulk-fail")["bulk_operations"]["failed"] == 1
        assert sim.admin("bulk-fail", "next-bulk-operation", {"outcome": "lost"}).status_code == 400


def test_five_concurrent_bulk_queries_from_2026_01() -> None:
    """ "In API versions 2026-01 and higher apps can run up to five bulk query operations at a time per shop"."""
    with shopify_sim() as sim:
        sim.configure("bulk-five", products=1)
        for _ in range(5):
            assert _run(sim, "bulk-five")["userErrors"] == []
        refused = _run(sim, "bulk-five")
        assert refused["bulkOperation"] is None
        assert refused["userErrors"][0]["code"] == "OPERATION_IN_PROGRESS"
        assert sim.stats("bulk-five")["bulk_operations"]["started"] == 5


def test_one_bulk_query_at_a_time_before_2026_01() -> None:
    """ "In API versions prior to 2026-01, apps are limited to running a single bulk operation at a time"."""
    with shopify_sim(clock=FakeClock(datetime(2025, 11, 15, tzinfo=UTC))) as sim:
        sim.configure("bulk-one", products=1)
        assert _run(sim, "bulk-one")["userErrors"] == []
        assert sim.graphql("bulk-one", CURRENT, version="2025-10").status_code == 200
        body = sim.graphql("bulk-one", RUN, {"q": INNER}, version="2025-10").json()
        assert body["data"]["bulkOperationRunQuery"]["userErrors"][0]["code"] == "OPERATION_IN_PROGRESS"


def test_invalid_inner_queries_are_user_errors() -> None:
    """ "The query must include one top-level connection, at most five connections, nested two levels"."""
    with shopify_sim() as sim:
        sim.configure("bulk-invalid", products=1)
        for inner in (
            "{ products { nodes { id } } productsCount { count } }",
            "{ productsCount { count } }",
            "{ products { nodes { variants { nodes { id } } } } }",
            "{ products { nodes { id variants { nodes { id media { nodes { id } } } } } } }",
            "{ products { nodes { nope } } }",
        ):
            errors = _run(sim, "bulk-invalid", inner)["userErrors"]
            assert errors and errors[0]["code"] == "INVALID" and errors[0]["field"] == ["query"], inner


def test_removed_products_are_not_exported() -> None:
    with shopify_sim() as sim:
        sim.configure("bulk-removed", products=5)
        sim.admin("bulk-removed", "remove-products", {"indices": [1, 3]})
        sim.admin("bulk-removed", "next-bulk-operation", {"queued_s": 0, "running_s": 0})
        gid = _run(sim, "bulk-removed", "{ products { nodes { id } } }")["bulkOperation"]["id"]
        url = _poll(sim, "bulk-removed", gid)["url"]
        ids = [msgspec.json.decode(line)["id"] for line in sim.get(_path(url)).content.splitlines()]
        assert ids == [f"gid://shopify/Product/{product_id(i)}" for i in (0, 2, 4)]
