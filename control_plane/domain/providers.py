"""Commerce providers the control plane imports from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Provider(StrEnum):
    SHOPIFY = "shopify"
    ROASTIFY = "roastify"


SHOPIFY_APIS = ("graphql", "rest")
"""``account_settings.api`` of a Shopify integration; GraphQL unless it says ``rest`` (Shopify's legacy API)."""
_SHOPIFY_VERSION = re.compile(r"^20\d\d-(01|04|07|10)$")
"""Shopify releases an Admin API version each quarter, named ``YYYY-MM``."""


def shopify_settings_problem(account_settings: Mapping[str, Any]) -> tuple[str, str] | None:
    """What is wrong with a Shopify integration's settings (shop, API), as (field, message); None when usable."""
    if "shop" in account_settings and (problem := shop_problem(account_settings["shop"])):
        return "shop", problem
    api = account_settings.get("api", "graphql")
    if api not in SHOPIFY_APIS:
        return "api", f"account_settings.api must be one of {', '.join(SHOPIFY_APIS)}"
    version = account_settings.get("api_version")
    if version is not None and not (isinstance(version, str) and _SHOPIFY_VERSION.match(version)):
        return (
            "api_version",
            "account_settings.api_version must be a Shopify release such as 2026-10 (YYYY-01/04/07/10)",
        )
    return None


_SHOP_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,98}[a-z0-9]")
"""A ``*.myshopify.com`` subdomain by Shopify's rules: lower-case letters, digits and inner hyphens."""
_NUMBER_LIKE = re.compile(r"[0-9]+|0x[0-9a-f]+")
"""Names a resolver may read as an address (``2130706433``, ``0x7f000001`` are 127.0.0.1)."""
_RESERVED_SHOP_NAMES = frozenset({"localhost"})


def shop_problem(shop: object) -> str | None:
    """What is wrong with ``account_settings.shop``; None when it names a shop Shopify could have."""
    if not isinstance(shop, str) or not _SHOP_NAME.fullmatch(shop):
        return (
            "account_settings.shop must be the shop's myshopify.com name: 2 to 100 lower-case letters, "
            "digits and inner hyphens"
        )
    if _NUMBER_LIKE.fullmatch(shop) or shop in _RESERVED_SHOP_NAMES:
        return "account_settings.shop must be a shop's name, not a number or a host name"
    return None


CREDENTIAL_PATTERN = r"^[\x21-\x7e]+$"
"""Visible ASCII: what every client library sends as an HTTP header value unchanged (also in the API's schema)."""
_HEADER_TOKEN = re.compile(CREDENTIAL_PATTERN)


def credential_problem(credential: str) -> str | None:
    """Why a provider credential could never be sent, or None: it travels as an HTTP header value."""
    if not _HEADER_TOKEN.fullmatch(credential):
        return "the credential must be visible ASCII characters only (it is sent as an HTTP header value)"
    return None
