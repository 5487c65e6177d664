"""The mapping every company gets until it saves its own, one per provider.

Written in the same JSON a vendor would send, so a vendor can fetch a default,
change one rule and save it back.  A unit test validates both on every run.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from control_plane.domain.mapping.rules import RuleSet, parse_rules
from control_plane.domain.providers import Provider

_CURRENCY: dict[str, Any] = {
    "target": "currency",
    "source": "$context.currency",
    "transforms": ["upper"],
    "default": "USD",
}

SHOPIFY_RULES: list[dict[str, Any]] = [
    {"target": "external_id", "source": "id", "required": True},
    {"target": "title", "source": "title", "transforms": ["trim"], "required": True},
    {"target": "description", "source": "body_html", "transforms": ["html_to_text"]},
    {"target": "vendor", "source": "vendor", "transforms": ["trim"]},
    {"target": "product_type", "source": "product_type", "transforms": ["trim"]},
    {"target": "status", "source": "status", "transforms": ["lower"], "default": "active"},
    {"target": "tags", "source": "tags", "transforms": ["comma_list"]},
    {"target": "price", "source": "variants[0].price", "transforms": ["decimal"]},
    _CURRENCY,
    {"target": "sku", "source": "variants[0].sku"},
    {"target": "source_updated_at", "source": "updated_at", "transforms": ["parse_datetime"]},
    {"target": "options", "source": "options"},
    {"target": "images", "source": "images[*].src"},
    {
        "target": "variants",
        "source": "variants[*]",
        "each": [
            {"target": "external_id", "source": "id", "required": True},
            {"target": "title", "source": "title"},
            {"target": "sku", "source": "sku"},
            {"target": "price", "source": "price", "transforms": ["decimal"]},
            {
                "target": "options",
                "source": ["$root.options[*].name", "option1", "option2", "option3"],
                "transforms": ["zip_dict"],
            },
            {"target": "inventory_quantity", "source": "inventory_quantity", "transforms": ["to_int"]},
            {"target": "in_stock", "source": "inventory_quantity", "transforms": ["greater_than"]},
            {"target": "grams", "source": "grams", "transforms": ["to_int"]},
            {"target": "compare_at_price", "source": "compare_at_price", "transforms": ["decimal"]},
            {"target": "barcode", "source": "barcode"},
            {"target": "weight", "source": "weight"},
            {"target": "weight_unit", "source": "weight_unit"},
        ],
    },
]
"""Input: the Shopify REST product (the GraphQL client converts its nodes to it)."""

ROASTIFY_RULES: list[dict[str, Any]] = [
    {"target": "external_id", "source": "id", "required": True},
    {"target": "title", "source": "name", "transforms": ["trim"], "required": True},
    {"target": "description", "source": "description", "transforms": ["trim"]},
    {"target": "product_type", "source": "category", "transforms": ["trim"]},
    {"target": "status", "default": "active"},
    {"target": "tags", "source": "tags", "transforms": ["comma_list"]},
    {"target": "price", "source": "variants[0].retailPrice", "transforms": ["cents_to_decimal"]},
    _CURRENCY,
    {"target": "sku", "source": "variants[0].sku"},
    {"target": "source_updated_at", "source": "updatedAt", "transforms": ["parse_datetime"]},
    {
        "target": "options",
        "source": "variants[*].size",
        "transforms": [{"name": "as_option", "args": {"name": "Size"}}],
    },
    {"target": "images", "source": "images[*].url"},
    {
        "target": "variants",
        "source": "variants[*]",
        "each": [
            {"target": "external_id", "source": "id", "required": True},
            {"target": "title", "source": "title"},
            {"target": "sku", "source": "sku"},
            {"target": "price", "source": "retailPrice", "transforms": ["cents_to_decimal"]},
            {"target": "options", "source": ["size"], "transforms": [{"name": "zip_dict", "args": {"keys": ["Size"]}}]},
            {"target": "inventory_quantity", "source": "stockQty", "transforms": ["to_int"]},
            {"target": "in_stock", "source": "inStock"},
            {"target": "grams", "source": "size", "transforms": ["size_to_grams"]},
        ],
    },
]
"""Input: the Roastify product detail (list item merged with its detail call)."""

_DEFAULTS: Mapping[Provider, list[dict[str, Any]]] = {
    Provider.SHOPIFY: SHOPIFY_RULES,
    Provider.ROASTIFY: ROASTIFY_RULES,
}


def default_rules(provider: Provider) -> list[dict[str, Any]]:
    """A copy of the provider's default rules in their canonical JSON spelling."""
    return default_rule_set(provider).to_json()


def default_rule_set(provider: Provider) -> RuleSet:
    return parse_rules(copy.deepcopy(_DEFAULTS[provider]))
