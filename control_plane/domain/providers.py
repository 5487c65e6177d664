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
    """What is wrong with a Shopify integration's API choice, as (field, message); None when it is usable."""
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
