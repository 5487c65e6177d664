"""Generated products in Shopify's own shapes: the REST product and the Admin GraphQL node.

Field names, types and formats follow Shopify (ids as 13/14-digit integers,
prices as decimal strings, REST tags as one comma-separated string, REST
timestamps with the shop's UTC offset, GraphQL ones in UTC), so a client
written against this works against the real API unchanged.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from loadtests.simulator.catalog import Catalog, Image, Product, Variant, utc_z

PRODUCT_ID_BASE = 7_000_000_000_000
VARIANT_ID_BASE = 40_000_000_000_000
IMAGE_ID_BASE = 30_000_000_000_000
OPTION_ID_BASE = 9_000_000_000_000
IMAGE_ID_STRIDE = 100_000
"""Image ids per product: serials grow with every replacement, so the block is wide."""
VARIANT_ID_STRIDE = 10_000
"""Variant ids per product: room for Shopify's 2,048 variants."""
REST_MAX_VARIANTS = 100
"""The REST product resource lists at most 100 variants; larger products need GraphQL."""
INVENTORY_ITEM_ID_BASE = 50_000_000_000_000
"""Image ids per product: serials grow with every replacement, so the block is wide."""
SHOP_TZ = timezone(timedelta(hours=-5))
"""Shops answer in their own time zone; a fixed offset keeps responses deterministic."""


def product_id(index: int) -> int:
    return PRODUCT_ID_BASE + index


def variant_id(index: int, variant: Variant) -> int:
    return VARIANT_ID_BASE + index * VARIANT_ID_STRIDE + variant.position - 1


def image_id(index: int, image: Image) -> int:
    return IMAGE_ID_BASE + index * IMAGE_ID_STRIDE + image.serial - 1


def inventory_item_id(index: int, variant: Variant) -> int:
    return INVENTORY_ITEM_ID_BASE + index * VARIANT_ID_STRIDE + variant.position - 1


def option_id(index: int, position: int) -> int:
    return OPTION_ID_BASE + index * 10 + position


def gid(kind: str, numeric: int) -> str:
    return f"gid://shopify/{kind}/{numeric}"


def shop_time(moment: datetime) -> str:
    return moment.astimezone(SHOP_TZ).isoformat()


def price(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def image_url(base: str, catalog: Catalog, product: Product, image: Image) -> str:
    return base + catalog.image_path(product, image)


def option_values(product: Product, variant: Variant) -> list[str]:
    """The variant's value for each product option ("Default Title" when there are none)."""
    if not product.options:
        return ["Default Title"]
    values = [variant.size]
    if len(product.options) > 1 and variant.grind is not None:
        values.append(variant.grind)
    if variant.lot is not None:
        values.append(f"Lot {variant.lot}")
    return values


def _rest_options(product: Product) -> list[dict[str, Any]]:
    options = product.options or (("Title", ("Default Title",)),)
    pid = product_id(product.index)
    return [
        {
            "id": option_id(product.index, pos),
            "product_id": pid,
            "name": name,
            "position": pos,
            "values": list(values),
        }
        for pos, (name, values) in enumerate(options, start=1)
    ]


def _rest_variant(product: Product, variant: Variant, created: str, updated: str) -> dict[str, Any]:
    values = option_values(product, variant)
    padded = [*values, None, None][:3]
    vid = variant_id(product.index, variant)
    return {
        "id": vid,
        "product_id": product_id(product.index),
        "title": " / ".join(values),
        "price": price(variant.price_cents),
        "compare_at_price": price(variant.compare_at_cents) if variant.compare_at_cents else None,
        "sku": f"SIM-{product.index:06d}-{variant.position:03d}",
        "position": variant.position,
        "inventory_policy": "deny",
        "option1": padded[0],
        "option2": padded[1],
        "option3": padded[2],
        "inventory_quantity": variant.stock,
        "grams": variant.grams,
        "weight": variant.weight,
        "weight_unit": variant.weight_unit,
        "requires_shipping": True,
        "taxable": True,
        "barcode": variant.barcode,
        "inventory_item_id": inventory_item_id(product.index, variant),
        "created_at": created,
        "updated_at": updated,
        "admin_graphql_api_id": gid("ProductVariant", vid),
    }


def _rest_image(base: str, catalog: Catalog, product: Product, image: Image, created: str) -> dict[str, Any]:
    iid = image_id(product.index, image)
    return {
        "id": iid,
        "product_id": product_id(product.index),
        "position": image.position,
        "created_at": created,
        "updated_at": created,
        "alt": image.alt,
        "width": image.width,
        "height": image.height,
        "src": image_url(base, catalog, product, image),
        "variant_ids": [],
        "admin_graphql_api_id": gid("ProductImage", iid),
    }


def rest_product(base: str, catalog: Catalog, index: int) -> dict[str, Any]:
    """Product ``index`` as ``GET /admin/api/{version}/products.json`` returns it."""
    product = catalog.product(index)
    created, updated = shop_time(product.created_at), shop_time(catalog.updated_at(index))
    images = [_rest_image(base, catalog, product, image, created) for image in catalog.images(index)]
    pid = product_id(index)
    return {
        "id": pid,
        "title": product.title,
        "body_html": product.description_html,
        "vendor": product.vendor,
        "product_type": product.product_type,
        "created_at": created,
        "handle": product.handle,
        "updated_at": updated,
        "published_at": None if product.status == "draft" else created,
        "template_suffix": None,
        "published_scope": "web",
        "tags": ", ".join(product.tags),
        "status": product.status,
        "admin_graphql_api_id": gid("Product", pid),
        "variants": [
            _rest_variant(product, variant, created, updated) for variant in product.variants[:REST_MAX_VARIANTS]
        ],
        "options": _rest_options(product),
        "images": images,
        "image": images[0] if images else None,
    }


def _graphql_variant(product: Product, variant: Variant) -> dict[str, Any]:
    vid = variant_id(product.index, variant)
    values = option_values(product, variant)
    names = [name for name, _ in product.options] or ["Title"]
    return {
        "id": gid("ProductVariant", vid),
        "legacyResourceId": str(vid),
        "title": " / ".join(values),
        "sku": f"SIM-{product.index:06d}-{variant.position:03d}",
        "barcode": variant.barcode,
        "price": price(variant.price_cents),
        "compareAtPrice": price(variant.compare_at_cents) if variant.compare_at_cents else None,
        "inventoryQuantity": variant.stock,
        "position": variant.position,
        "selectedOptions": [{"name": n, "value": v} for n, v in zip(names, values, strict=True)],
    }


def _graphql_image(base: str, catalog: Catalog, product: Product, image: Image) -> dict[str, Any]:
    return {
        "id": gid("ProductImage", image_id(product.index, image)),
        "url": image_url(base, catalog, product, image),
        "altText": image.alt,
        "width": image.width,
        "height": image.height,
    }


def graphql_node(base: str, catalog: Catalog, index: int) -> dict[str, Any]:
    """Product ``index`` as an Admin GraphQL ``Product`` node with every variant and image inline.

    What a query selecting all variants and images in one page answers; mapping tests use it.
    """
    product = catalog.product(index)
    pid = product_id(index)
    options = product.options or (("Title", ("Default Title",)),)
    return {
        "id": gid("Product", pid),
        "legacyResourceId": str(pid),
        "title": product.title,
        "descriptionHtml": product.description_html,
        "vendor": product.vendor,
        "productType": product.product_type,
        "handle": product.handle,
        "status": product.status.upper(),
        "tags": list(product.tags),
        "createdAt": utc_z(product.created_at),
        "updatedAt": utc_z(catalog.updated_at(index)),
        "options": [{"name": name, "values": list(values)} for name, values in options],
        "variants": {"edges": [{"node": _graphql_variant(product, v)} for v in product.variants]},
        "images": {"edges": [{"node": _graphql_image(base, catalog, product, i)} for i in catalog.images(index)]},
    }
