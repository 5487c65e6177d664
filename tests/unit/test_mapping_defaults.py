"""The default Shopify and Roastify mappings: valid, and right on realistic payloads."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from control_plane.domain.mapping import (
    MappedProduct,
    MappingErrors,
    default_rule_set,
    default_rules,
    jsonable,
    parse_rules,
)
from control_plane.domain.providers import Provider
from tests.support.mapping import map_with


def mapped(result: MappedProduct | MappingErrors) -> MappedProduct:
    assert isinstance(result, MappedProduct), result
    return result


def failed(result: MappedProduct | MappingErrors) -> dict[str, str]:
    assert isinstance(result, MappingErrors), result
    return {error.field: error.message for error in result.errors}


SHOPIFY_PRODUCT: dict[str, Any] = {
    "id": 7981237649521,
    "title": "Ethiopia Guji - Light Roast ",
    "body_html": "<p>Washed lot from <strong>Guji</strong>.</p>\n<ul><li>jasmine</li><li>bergamot &amp; peach</li></ul>"
    "<script>track()</script>",
    "vendor": "Ridgeback Roasters",
    "product_type": "Whole Bean Coffee",
    "handle": "ethiopia-guji-light-roast",
    "status": "ACTIVE",
    "tags": "single-origin, light-roast, organic,",
    "created_at": "2024-03-02T09:15:00-05:00",
    "updated_at": "2024-06-11T14:20:05-04:00",
    "options": [
        {"id": 1, "product_id": 7981237649521, "name": "Size", "position": 1, "values": ["12oz", "2lb"]},
        {"id": 2, "product_id": 7981237649521, "name": "Grind", "position": 2, "values": ["Whole Bean", "Espresso"]},
    ],
    "variants": [
        {
            "id": 44211,
            "product_id": 7981237649521,
            "title": "12oz / Whole Bean",
            "price": "18.50",
            "sku": "ETH-GUJI-12-WB",
            "option1": "12oz",
            "option2": "Whole Bean",
            "option3": None,
            "inventory_quantity": 14,
            "grams": 340,
        },
        {
            "id": 44212,
            "product_id": 7981237649521,
            "title": "2lb / Espresso",
            "price": "42",
            "sku": "ETH-GUJI-2LB-ES",
            "option1": "2lb",
            "option2": "Espresso",
            "option3": None,
            "inventory_quantity": 0,
            "grams": 907,
        },
    ],
    "images": [
        {
            "id": 91,
            "position": 1,
            "src": "https://cdn.example/guji-front.jpg",
            "width": 1600,
            "height": 1600,
            "alt": None,
        },
        {
            "id": 92,
            "position": 2,
            "src": "https://cdn.example/guji-back.jpg",
            "width": 1600,
            "height": 1200,
            "alt": "Back",
        },
    ],
    "image": {"id": 91, "src": "https://cdn.example/guji-front.jpg"},
}

ROASTIFY_PRODUCT: dict[str, Any] = {
    "id": "rst_00042",
    "name": "Harbor Fog Blend",
    "description": "  Dark chocolate, molasses and a smoky finish.  ",
    "category": "Espresso",
    "tags": ["blend", " dark-roast ", ""],
    "updatedAt": "2024-06-01T08:00:00Z",
    "images": [{"url": "https://img.roastify.example/p/42/1.png"}],
    "variants": [
        {
            "id": "var_1",
            "title": "12oz bag",
            "size": "12oz",
            "retailPrice": 1250,
            "sku": "HF-12",
            "inStock": True,
            "stockQty": 31,
        },
        {
            "id": "var_2",
            "title": "5lb bag",
            "size": "5lb",
            "retailPrice": 6400,
            "sku": "HF-5",
            "inStock": False,
            "stockQty": 0,
        },
    ],
}


@pytest.mark.parametrize("provider", list(Provider))
def test_default_mappings_are_valid_and_canonical(provider: Provider) -> None:
    canonical = default_rules(provider)
    assert parse_rules(canonical).to_json() == canonical
    assert default_rule_set(provider) == parse_rules(canonical)


def test_shopify_default_maps_a_rest_product() -> None:
    product = mapped(map_with(default_rule_set(Provider.SHOPIFY), SHOPIFY_PRODUCT, {"currency": "cad"}))
    assert product.external_id == "7981237649521"
    assert product.title == "Ethiopia Guji - Light Roast"
    assert product.description == "Washed lot from Guji. jasmine bergamot & peach"
    assert (product.vendor, product.product_type, product.status) == (
        "Ridgeback Roasters",
        "Whole Bean Coffee",
        "active",
    )
    assert product.tags == ["single-origin", "light-roast", "organic"]
    assert (product.price, product.currency, product.sku) == (Decimal("18.50"), "CAD", "ETH-GUJI-12-WB")
    assert product.source_updated_at == datetime(2024, 6, 11, 18, 20, 5, tzinfo=UTC)
    assert product.images == ["https://cdn.example/guji-front.jpg", "https://cdn.example/guji-back.jpg"]
    assert [option["name"] for option in product.options] == ["Size", "Grind"]
    assert product.variants[1] == {
        "external_id": "44212",
        "title": "2lb / Espresso",
        "sku": "ETH-GUJI-2LB-ES",
        "price": Decimal("42.00"),
        "options": {"Size": "2lb", "Grind": "Espresso"},
        "inventory_quantity": 0,
        "in_stock": False,
        "grams": 907,
        "compare_at_price": None,
        "barcode": None,
        "weight": None,
        "weight_unit": None,
    }
    assert product.variants[0]["in_stock"] is True


def test_shopify_default_currency_falls_back_to_usd() -> None:
    assert mapped(map_with(default_rule_set(Provider.SHOPIFY), SHOPIFY_PRODUCT)).currency == "USD"


def test_roastify_default_maps_a_detail_payload() -> None:
    product = mapped(map_with(default_rule_set(Provider.ROASTIFY), ROASTIFY_PRODUCT, {}))
    assert (product.external_id, product.title, product.product_type) == ("rst_00042", "Harbor Fog Blend", "Espresso")
    assert product.description == "Dark chocolate, molasses and a smoky finish."
    assert (product.price, product.currency, product.sku, product.status) == (
        Decimal("12.50"),
        "USD",
        "HF-12",
        "active",
    )
    assert product.tags == ["blend", "dark-roast"]
    assert product.source_updated_at == datetime(2024, 6, 1, 8, tzinfo=UTC)
    assert product.images == ["https://img.roastify.example/p/42/1.png"]
    assert product.options == [{"name": "Size", "values": ["12oz", "5lb"]}]
    assert [(v["price"], v["grams"], v["in_stock"], v["inventory_quantity"]) for v in product.variants] == [
        (Decimal("12.50"), 340, True, 31),
        (Decimal("64.00"), 2268, False, 0),
    ]
    assert product.variants[0]["options"] == {"Size": "12oz"}


def test_default_mappings_survive_odd_payloads() -> None:
    """Missing or malformed pieces become per-field errors or empty fields, never exceptions."""
    odd = copy.deepcopy(ROASTIFY_PRODUCT)
    odd.update(variants=[{"id": "v", "retailPrice": "12.5", "size": "a lot"}], images="nope", tags=None, updatedAt=7)
    errors = failed(map_with(default_rule_set(Provider.ROASTIFY), odd))
    assert set(errors) == {"price", "source_updated_at", "variants[0].price", "variants[0].grams"}
    assert errors["price"] == "cents_to_decimal: expected whole cents, got '12.5'"
    bare = mapped(map_with(default_rule_set(Provider.SHOPIFY), {"id": 1, "title": "Just a title"}))
    assert (bare.variants, bare.images, bare.tags, bare.price, bare.status) == ([], [], [], None, "active")


def test_a_mapped_product_converts_to_plain_json() -> None:
    product = mapped(map_with(default_rule_set(Provider.ROASTIFY), ROASTIFY_PRODUCT))
    plain = jsonable(product.as_dict())
    assert plain["price"] == "12.50" and plain["variants"][1]["price"] == "64.00"
    assert plain["source_updated_at"] == "2024-06-01T08:00:00+00:00"
    assert json.loads(json.dumps(plain)) == plain
