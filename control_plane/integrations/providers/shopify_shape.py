"""Shopify's two product shapes, reduced to one: GraphQL nodes become REST products."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from control_plane.integrations.providers.base import PermanentProviderError, SourceProduct

PROVIDER = "shopify"


def as_object(value: Any, what: str) -> dict[str, Any]:
    """``value`` when it is a JSON object; a broken provider contract otherwise."""
    if not isinstance(value, dict):
        raise PermanentProviderError(f"{PROVIDER}: unexpected response shape: {what}")
    return value


def gid_tail(gid: Any) -> int | None:
    """`gid://shopify/ProductImage/123` → 123."""
    if not isinstance(gid, str):
        return None
    tail = gid.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def edges(connection: Any) -> list[dict[str, Any]]:
    found = (connection or {}).get("edges") or []
    return [edge["node"] for edge in found if isinstance(edge, dict) and isinstance(edge.get("node"), dict)]


WEIGHT_UNITS = {
    "GRAMS": ("g", 1.0),
    "KILOGRAMS": ("kg", 1000.0),
    "OUNCES": ("oz", 28.349523125),
    "POUNDS": ("lb", 453.59237),
}
"""GraphQL ``WeightUnit`` → the REST ``weight_unit`` and grams per unit."""


def _weight(node: dict[str, Any]) -> tuple[float | None, str | None, int | None]:
    """``inventoryItem.measurement.weight`` as REST's weight, weight_unit and grams."""
    weight = ((node.get("inventoryItem") or {}).get("measurement") or {}).get("weight")
    if not isinstance(weight, dict) or weight.get("unit") not in WEIGHT_UNITS:
        return None, None, None
    value = weight.get("value")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None, None, None
    unit, grams_per_unit = WEIGHT_UNITS[weight["unit"]]
    return float(value), unit, round(value * grams_per_unit)


def _variant(node: dict[str, Any], product_id: int) -> dict[str, Any]:
    options = [o.get("value") for o in node.get("selectedOptions") or [] if isinstance(o, dict)]
    weight, unit, grams = _weight(node)
    variant = {
        "id": int(node["legacyResourceId"]) if node.get("legacyResourceId") else gid_tail(node.get("id")),
        "product_id": product_id,
        "title": node.get("title"),
        "sku": node.get("sku"),
        "barcode": node.get("barcode"),
        "price": node.get("price"),
        "compare_at_price": node.get("compareAtPrice"),
        "inventory_quantity": node.get("inventoryQuantity"),
        "position": node.get("position"),
        "taxable": node.get("taxable"),
        "weight": weight,
        "weight_unit": unit,
        "grams": grams,
        "inventory_item_id": gid_tail((node.get("inventoryItem") or {}).get("id")),
    }
    for index in range(3):
        variant[f"option{index + 1}"] = options[index] if index < len(options) else None
    return variant


def _image(node: dict[str, Any], product_id: int, position: int) -> dict[str, Any] | None:
    """A ``MediaImage`` as a REST image; other media (video, 3D) are not images and give None."""
    image = node.get("image")
    if not isinstance(image, dict) or not image.get("url"):
        return None
    return {
        "id": gid_tail(node.get("id")),
        "product_id": product_id,
        "position": position,
        "src": image.get("url"),
        "alt": node.get("alt") if node.get("alt") is not None else image.get("altText"),
        "width": image.get("width"),
        "height": image.get("height"),
    }


def _option(node: dict[str, Any], product_id: int) -> dict[str, Any]:
    return {
        "id": gid_tail(node.get("id")),
        "product_id": product_id,
        "name": node.get("name"),
        "position": node.get("position"),
        "values": node.get("values"),
    }


def node_to_rest(node: dict[str, Any], variants: list[dict[str, Any]], media: list[dict[str, Any]]) -> dict[str, Any]:
    """A GraphQL product node, with all its variant and media nodes, in the REST product shape."""
    product_id = int(node["legacyResourceId"])
    images: list[dict[str, Any]] = []
    for item in media:
        image = _image(item, product_id, len(images) + 1)
        if image is not None:
            images.append(image)
    return {
        "id": product_id,
        "title": node.get("title"),
        "body_html": node.get("descriptionHtml"),
        "vendor": node.get("vendor"),
        "product_type": node.get("productType"),
        "handle": node.get("handle"),
        "status": str(node.get("status") or "").lower() or None,
        "tags": ", ".join(str(tag) for tag in node.get("tags") or []),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "options": [_option(o, product_id) for o in node.get("options") or [] if isinstance(o, dict)],
        "variants": [_variant(v, product_id) for v in variants],
        "images": images,
        "image": images[0] if images else None,
    }


def parse_timestamp(value: Any) -> datetime | None:
    """Provider timestamps are ISO 8601; anything else is treated as unknown."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def source_product(
    node: dict[str, Any], all_variants: list[dict[str, Any]], all_media: list[dict[str, Any]]
) -> SourceProduct:
    """A product node and all its variant and media nodes as the mapping's input."""
    try:
        rest = node_to_rest(node, all_variants, all_media)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise PermanentProviderError(
            f"{PROVIDER}: unexpected product node shape ({type(exc).__name__}: {exc})"[:500]
        ) from exc
    return SourceProduct(str(rest["id"]), parse_timestamp(rest.get("updated_at")), rest)
