"""Commerce providers the control plane imports from."""

from __future__ import annotations

from enum import StrEnum


class Provider(StrEnum):
    SHOPIFY = "shopify"
    ROASTIFY = "roastify"
