"""Generated products as Admin GraphQL objects, resolved by graphql-core's default resolver.

Objects are plain dicts; a field with arguments (a nested connection) is a
callable that graphql-core calls with the field's arguments, so nested pages
are built only when selected.  Values match the REST shapes field for field
(ids, prices, barcode, weights, option ids, image sizes and positions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loadtests.simulator import shopify_paging as paging
from loadtests.simulator.catalog import Catalog, Image, Product, Variant, utc_z
from loadtests.simulator.shopify_shapes import (
    gid,
    image_id,
    image_url,
    inventory_item_id,
    option_id,
    option_values,
    price,
    product_id,
    variant_id,
)

WEIGHT_UNITS = {"g": "GRAMS", "kg": "KILOGRAMS", "oz": "OUNCES", "lb": "POUNDS"}


@dataclass(frozen=True)
class Scope:
    """What building objects needs: the cursor seed, the client's base URL and the catalog as it is now."""

    seed: int
    base: str
    catalog: Catalog


EVERYTHING = paging.Page(10**9, None, None, None)
"""A bulk export lists every nested object."""


def _paged(build: Callable[[paging.Page], dict[str, Any]], export: bool) -> Callable[..., dict[str, Any]]:
    return lambda _info, **args: build(EVERYTHING if export else paging.Page.of(args))


def _options(product: Product) -> list[dict[str, Any]]:
    options = product.options or (("Title", ("Default Title",)),)
    found = []
    for position, (name, values) in enumerate(options, start=1):
        oid = option_id(product.index, position)
        value_nodes = [
            {"id": gid("ProductOptionValue", oid * 10_000 + n), "name": value}
            for n, value in enumerate(values, start=1)
        ]
        found.append(
            {
                "id": gid("ProductOption", oid),
                "name": name,
                "position": position,
                "values": list(values),
                "optionValues": value_nodes,
            }
        )
    return found


def image_object(scope: Scope, product: Product, image: Image) -> dict[str, Any]:
    return {
        "id": gid("ProductImage", image_id(product.index, image)),
        "url": image_url(scope.base, scope.catalog, product, image),
        "width": image.width,
        "height": image.height,
        "altText": image.alt,
    }


def media_image(scope: Scope, product: Product, image: Image) -> dict[str, Any]:
    return {
        "__typename": "MediaImage",
        "id": gid("MediaImage", image_id(product.index, image)),
        "alt": image.alt,
        "mediaContentType": "IMAGE",
        "status": "READY",
        "image": image_object(scope, product, image),
    }


def variant_object(scope: Scope, product: Product, variant: Variant) -> dict[str, Any]:
    vid = variant_id(product.index, variant)
    values = option_values(product, variant)
    names = [name for name, _ in product.options] or ["Title"]
    item_id = inventory_item_id(product.index, variant)
    sku = f"SIM-{product.index:06d}-{variant.position:03d}"
    measurement = {
        "id": gid("InventoryItemMeasurement", item_id),
        "weight": {"unit": WEIGHT_UNITS[variant.weight_unit], "value": variant.weight},
    }
    return {
        "__typename": "ProductVariant",
        "id": gid("ProductVariant", vid),
        "legacyResourceId": str(vid),
        "title": " / ".join(values),
        "sku": sku,
        "barcode": variant.barcode,
        "price": price(variant.price_cents),
        "compareAtPrice": price(variant.compare_at_cents) if variant.compare_at_cents else None,
        "inventoryQuantity": variant.stock,
        "position": variant.position,
        "taxable": True,
        "selectedOptions": [{"name": n, "value": v} for n, v in zip(names, values, strict=True)],
        "inventoryItem": {"id": gid("InventoryItem", item_id), "sku": sku, "measurement": measurement},
        "image": None,
        "media": lambda *_a, **_k: paging.connection([], scope.seed, has_next=False, has_previous=False),
        "product": lambda *_a, **_k: product_object(scope, product.index),
    }


def product_object(scope: Scope, index: int, *, export: bool = False) -> dict[str, Any]:
    """Product ``index`` as an Admin GraphQL ``Product``."""
    catalog, seed = scope.catalog, scope.seed
    product = catalog.product(index)
    pid = product_id(index)
    images = catalog.images(index)

    def variants(page: paging.Page) -> dict[str, Any]:
        return paging.nested(seed, index, product.variants, page, lambda v: variant_object(scope, product, v))

    def media(page: paging.Page) -> dict[str, Any]:
        return paging.nested(seed, index, images, page, lambda i: media_image(scope, product, i))

    def legacy_images(page: paging.Page) -> dict[str, Any]:
        return paging.nested(seed, index, images, page, lambda i: image_object(scope, product, i))

    return {
        "__typename": "Product",
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
        "options": lambda _info, first=None: _options(product)[:first],
        "variants": _paged(variants, export),
        "variantsCount": {"count": len(product.variants), "precision": "EXACT"},
        "media": _paged(media, export),
        "mediaCount": {"count": len(images), "precision": "EXACT"},
        "images": _paged(legacy_images, export),
    }
