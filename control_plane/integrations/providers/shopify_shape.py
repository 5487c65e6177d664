"""Shopify's two product shapes, reduced to one: GraphQL nodes become REST products."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def gid_tail(gid: Any) -> int | None:
    """`gid://shopify/ProductImage/123` → 123."""
    if not isinstance(gid, str):
        return None
    tail = gid.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _edges(connection: Any) -> list[dict[str, Any]]:
    edges = (connection or {}).get("edges") or []
    return [edge["node"] for edge in edges if isinstance(edge, dict) and isinstance(edge.get("node"), dict)]


def _variant(node: dict[str, Any], product_id: int) -> dict[str, Any]:
    options = [o.get("value") for o in node.get("selectedOptions") or [] if isinstance(o, dict)]
    variant = {
        "id": int(node["legacyResourceId"]) if node.get("legacyResourceId") else gid_tail(node.get("id")),
        "product_id": product_id,
        "title": node.get("title"),
        "sku": node.get("sku"),
        "price": node.get("price"),
        "inventory_quantity": node.get("inventoryQuantity"),
        "position": node.get("position"),
    }
    for index in range(3):
        variant[f"option{index + 1}"] = options[index] if index < len(options) else None
    return variant


def node_to_rest(node: dict[str, Any]) -> dict[str, Any]:
    """Convert a GraphQL product node to the REST product shape (ids as integers, tags as one string)."""
    product_id = int(node["legacyResourceId"])
    images = [
        {
            "id": gid_tail(image.get("id")),
            "product_id": product_id,
            "position": position,
            "src": image.get("url"),
            "alt": image.get("altText"),
            "width": image.get("width"),
            "height": image.get("height"),
        }
        for position, image in enumerate(_edges(node.get("images")), start=1)
    ]
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
        "options": [{"name": o.get("name"), "values": o.get("values")} for o in node.get("options") or []],
        "variants": [_variant(v, product_id) for v in _edges(node.get("variants"))],
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
