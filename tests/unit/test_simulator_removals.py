"""Admin edits: removed products vanish from every surface, replaced images get new ids and move updated_at.

Other products keep their ids and cursors, and the same edits on the same
seed give the same bytes, so a removals import can be checked exactly.
"""

from __future__ import annotations

from typing import Any

import pytest

from loadtests.simulator import catalog as catalog_module
from loadtests.simulator.shopify_shapes import product_id
from tests.support.shopify_sim import ShopifySim, shopify_sim

REMOVED = [0, 3, 4, 11]


def _rest_ids(sim: ShopifySim, shop: str, **params: Any) -> list[int]:
    """Every product id of the REST listing, following ``Link`` to the end."""
    ids: list[int] = []
    response = sim.rest(shop, limit=5, **params)
    while True:
        assert response.status_code == 200, response.text
        ids += [p["id"] for p in response.json()["products"]]
        links = response.headers.get("link", "")
        nexts = [part for part in links.split(",") if 'rel="next"' in part]
        if not nexts:
            return ids
        url = nexts[0].split(";")[0].strip().strip("<>")
        response = sim.get(url, headers={"X-Shopify-Access-Token": f"shpat_sim_{shop}"})


def _roastify_ids(sim: ShopifySim, account: str) -> list[str]:
    ids: list[str] = []
    params: dict[str, Any] = {"pageSize": 4}
    while True:
        response = sim.get(
            f"/roastify/{account}/v1/products", params=params, headers={"x-api-key": f"rk_sim_{account}"}
        )
        body = response.json()
        ids += [item["id"] for item in body["data"]]
        if not body["pageInfo"]["hasNextPage"]:
            return ids
        params = {"pageSize": 4, "cursor": body["pageInfo"]["endCursor"]}


def test_removed_products_leave_rest_and_keep_other_ids() -> None:
    with shopify_sim() as sim:
        sim.configure("rm-rest", products=15)
        response = sim.admin("rm-rest", "remove-products", {"indices": REMOVED})
        assert response.status_code == 200, response.text
        assert response.json() == {"removed": REMOVED, "listed": 11}
        expected = [product_id(i) for i in range(15) if i not in REMOVED]
        assert _rest_ids(sim, "rm-rest") == expected


def test_removed_products_leave_roastify_detail_and_images() -> None:
    with shopify_sim() as sim:
        sim.configure("rm-roast", provider="roastify", products=12, images_min=1, images_max=1)
        headers = {"x-api-key": "rk_sim_rm-roast"}
        image_url = sim.get("/roastify/rm-roast/v1/products/rp_000003", headers=headers).json()["images"][0]["url"]
        sim.admin("rm-roast", "remove-products", {"indices": REMOVED}, provider="roastify")
        assert _roastify_ids(sim, "rm-roast") == [f"rp_{i:06d}" for i in range(12) if i not in REMOVED]
        assert sim.get("/roastify/rm-roast/v1/products/rp_000003", headers=headers).status_code == 404
        assert sim.get(image_url.split("testserver.local")[-1]).status_code == 404


def test_a_check_that_ignores_removals_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Broken on purpose: a listing that forgets removed products must fail the REST check above."""

    def listing_without_removals(self: catalog_module.Listing, start: int, limit: int) -> list[int]:
        return list(range(start, min(start + limit, self.prefix)))

    monkeypatch.setattr(catalog_module.Listing, "after", listing_without_removals)
    with shopify_sim() as sim:
        sim.configure("rm-broken", products=15)
        sim.admin("rm-broken", "remove-products", {"indices": REMOVED})
        assert _rest_ids(sim, "rm-broken") != [product_id(i) for i in range(15) if i not in REMOVED]


def test_remove_refuses_unknown_indices_with_a_400() -> None:
    with shopify_sim() as sim:
        sim.configure("rm-bad", products=5)
        assert sim.admin("rm-bad", "remove-products", {"indices": [5]}).json()["field"] == "indices"
        assert sim.admin("rm-bad", "remove-products", {"indices": []}).status_code == 400
        assert sim.admin("rm-bad", "remove-products", {"indices": [1], "x": 1}).status_code == 400
        sim.admin("rm-bad", "remove-products", {"indices": [1]})
        assert sim.admin("rm-bad", "remove-products", {"indices": [1]}).status_code == 400


def _rest_product(sim: ShopifySim, shop: str, index: int) -> dict[str, Any]:
    products = sim.rest(shop, limit=250).json()["products"]
    return next(p for p in products if p["id"] == product_id(index))


def test_replaced_images_get_new_ids_positions_and_a_later_updated_at() -> None:
    with shopify_sim() as sim:
        sim.configure("img-swap", products=10, images_min=3, images_max=3)
        before = _rest_product(sim, "img-swap", 6)
        sim.clock.advance(3600)
        response = sim.admin("img-swap", "replace-images", {"indices": [6], "drop": 2, "add": 2})
        assert response.status_code == 200, response.text
        after = _rest_product(sim, "img-swap", 6)
        assert [image["position"] for image in after["images"]] == [1, 2, 3]
        assert after["images"][0]["id"] == before["images"][2]["id"]
        old_ids = {image["id"] for image in before["images"]}
        assert not {image["id"] for image in after["images"][1:]} & old_ids
        assert after["updated_at"] > before["updated_at"]
        for image in after["images"]:
            assert sim.get(image["src"].split("testserver.local")[-1]).status_code == 200
        assert sim.get(before["images"][0]["src"].split("testserver.local")[-1]).status_code == 404


def test_an_incremental_listing_sees_a_re_imaged_product() -> None:
    with shopify_sim() as sim:
        sim.configure("img-since", products=30, images_min=1, images_max=2)
        since = sim.clock.now()
        assert _rest_ids(sim, "img-since", updated_at_min=since.isoformat()) == []
        sim.admin("img-since", "replace-images", {"indices": [25, 7], "drop": 1, "add": 1})
        assert _rest_ids(sim, "img-since", updated_at_min=since.isoformat()) == [product_id(7), product_id(25)]


def test_edits_are_deterministic() -> None:
    bodies = []
    for _ in range(2):
        with shopify_sim() as sim:
            sim.configure("img-same", products=8, images_min=2, images_max=4, image_format="mixed")
            sim.admin("img-same", "remove-products", {"indices": [2]})
            sim.admin("img-same", "replace-images", {"indices": [1, 5], "drop": 1, "add": 3})
            bodies.append(sim.rest("img-same", limit=250).content)
    assert bodies[0] == bodies[1]


def test_replace_images_refuses_more_than_250_images() -> None:
    with shopify_sim() as sim:
        sim.configure("img-many", products=2, images_min=1, images_max=1)
        response = sim.admin("img-many", "replace-images", {"indices": [0], "add": 250})
        assert response.status_code == 400
        assert response.json()["field"] == "add"
