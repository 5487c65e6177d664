"""Contract: nested paging of variants and media, the same data over REST and GraphQL, counts, removals.

Documentation: https://shopify.dev/docs/api/admin-graphql (Product, ProductVariant, MediaImage, productsCount)
and https://shopify.dev/docs/api/usage/pagination-graphql.
"""

from __future__ import annotations

from typing import Any

from loadtests.simulator.shopify_shapes import product_id
from tests.support.shopify_sim import ShopifySim, shopify_sim

VARIANTS = """query($id: ID!, $after: String) { product(id: $id) {
  variants(first: 50, after: $after) { edges { cursor node { id legacyResourceId sku barcode price compareAtPrice
    inventoryQuantity position selectedOptions { name value }
    inventoryItem { measurement { weight { unit value } } } } }
    pageInfo { hasNextPage endCursor } } } }"""
MEDIA = """query($id: ID!, $after: String) { product(id: $id) {
  media(first: 10, after: $after) { nodes { id alt mediaContentType
    ... on MediaImage { status image { url width height altText } } }
    pageInfo { hasNextPage endCursor } } } }"""
UNITS = {"oz": "OUNCES", "lb": "POUNDS", "g": "GRAMS", "kg": "KILOGRAMS"}


def _all(sim: ShopifySim, shop: str, query: str, index: int, field: str) -> list[dict[str, Any]]:
    """Every node of a nested connection, following endCursor (fake clock moved past any throttling)."""
    found: list[dict[str, Any]] = []
    after = None
    while True:
        body = sim.graphql(shop, query, {"id": f"gid://shopify/Product/{product_id(index)}", "after": after}).json()
        sim.clock.advance(60)
        connection = body["data"]["product"][field]
        found += [edge["node"] for edge in connection["edges"]] if "edges" in connection else connection["nodes"]
        if not connection["pageInfo"]["hasNextPage"]:
            return found
        after = connection["pageInfo"]["endCursor"]


def test_variants_page_past_the_first_page_up_to_2048() -> None:
    """ "Products can have up to 2,048 variants"; nested connections page with first/after."""
    with shopify_sim() as sim:
        sim.configure("page-variants", products=2, variants_min=2048, variants_max=2048)
        variants = _all(sim, "page-variants", VARIANTS, 1, "variants")
        assert [v["position"] for v in variants] == list(range(1, 2049))
        assert len({v["id"] for v in variants}) == 2048
        rest = sim.rest("page-variants", limit=1).json()["products"][0]
        assert len(rest["variants"]) == 100  # the REST product resource lists at most 100


def test_media_page_and_match_rest_images() -> None:
    """MediaImage { image { url width height altText } } carries what REST images carry, in position order."""
    with shopify_sim() as sim:
        sim.configure("page-media", products=3, images_min=25, images_max=25, image_format="mixed")
        media = _all(sim, "page-media", MEDIA, 2, "media")
        rest = next(p for p in sim.rest("page-media").json()["products"] if p["id"] == product_id(2))
        assert [m["id"].rsplit("/", 1)[1] for m in media] == [str(i["id"]) for i in rest["images"]]
        assert [(m["image"]["url"], m["image"]["width"], m["image"]["height"], m["alt"]) for m in media] == [
            (i["src"], i["width"], i["height"], i["alt"]) for i in rest["images"]
        ]
        assert {m["mediaContentType"] for m in media} == {"IMAGE"}


def test_the_same_product_carries_the_same_data_over_rest_and_graphql() -> None:
    """One catalog, two APIs: ids, prices, barcode, compare-at price, stock, weight and unit, options."""
    with shopify_sim() as sim:
        sim.configure("page-same", products=4, variants_min=7, variants_max=7)
        for rest in sim.rest("page-same").json()["products"]:
            index = rest["id"] - product_id(0)
            variants = _all(sim, "page-same", VARIANTS, index, "variants")
            pairs = zip(rest["variants"], variants, strict=True)
            for rest_variant, node in pairs:
                assert int(node["legacyResourceId"]) == rest_variant["id"]
                assert node["sku"] == rest_variant["sku"] and node["barcode"] == rest_variant["barcode"]
                assert (node["price"], node["compareAtPrice"]) == (
                    rest_variant["price"],
                    rest_variant["compare_at_price"],
                )
                assert node["inventoryQuantity"] == rest_variant["inventory_quantity"]
                weight = node["inventoryItem"]["measurement"]["weight"]
                assert (weight["value"], weight["unit"]) == (rest_variant["weight"], UNITS[rest_variant["weight_unit"]])
                rest_values = [rest_variant[f"option{n}"] for n in (1, 2, 3) if rest_variant[f"option{n}"]]
                assert [o["value"] for o in node["selectedOptions"]] == rest_values


def test_products_count_is_exact_or_at_least_its_limit() -> None:
    """ "AT_LEAST: the count is at least the value. A limit was imposed and reached." Default limit 10,000."""
    with shopify_sim() as sim:
        sim.configure("page-count", products=30)
        query = "query($limit: Int) { productsCount(limit: $limit) { count precision } }"
        assert sim.graphql("page-count", query, {"limit": 10}).json()["data"]["productsCount"] == {
            "count": 10,
            "precision": "AT_LEAST",
        }
        exact = {"count": 30, "precision": "EXACT"}
        assert sim.graphql("page-count", query, {"limit": None}).json()["data"]["productsCount"] == exact
        assert (
            sim.graphql("page-count", "{ productsCount { count precision } }").json()["data"]["productsCount"] == exact
        )


def test_removed_products_leave_graphql_and_counts() -> None:
    """Removals are visible on every surface; other products keep their ids."""
    with shopify_sim() as sim:
        sim.configure("page-removed", products=8)
        sim.admin("page-removed", "remove-products", {"indices": [0, 5]})
        body = sim.graphql("page-removed", "{ products(first: 20) { nodes { id } } productsCount { count } }").json()
        ids = [n["id"] for n in body["data"]["products"]["nodes"]]
        assert ids == [f"gid://shopify/Product/{product_id(i)}" for i in (1, 2, 3, 4, 6, 7)]
        assert body["data"]["productsCount"]["count"] == 6
        gone = sim.graphql("page-removed", f'{{ product(id: "gid://shopify/Product/{product_id(5)}") {{ id }} }}')
        assert gone.json()["data"]["product"] is None


def test_products_page_backwards_with_last_and_before() -> None:
    with shopify_sim() as sim:
        sim.configure("page-back", products=9)
        query = """query($before: String) { products(last: 4, before: $before) {
          edges { cursor node { id } } pageInfo { hasPreviousPage startCursor } } }"""
        last = sim.graphql("page-back", query, {"before": None}).json()["data"]["products"]
        assert [e["node"]["id"][-1] for e in last["edges"]] == ["5", "6", "7", "8"]
        previous = sim.graphql("page-back", query, {"before": last["pageInfo"]["startCursor"]}).json()
        assert [e["node"]["id"][-1] for e in previous["data"]["products"]["edges"]] == ["1", "2", "3", "4"]
