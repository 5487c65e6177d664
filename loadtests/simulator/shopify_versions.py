"""Admin API versions as Shopify's release schedule defines them, computed from the clock.

Documented rules (https://shopify.dev/docs/api/usage/versioning): a stable
version is released every quarter (``YYYY-01/04/07/10``, at 17:00 UTC on the
first day) and supported for at least 12 months; the next quarter's version
is the release candidate; ``unstable`` always exists.  A request for a version
that is not supported is served by the oldest supported stable version ("fall
forward"), and ``X-Shopify-API-Version`` says which version answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

VERSION_HEADER = "X-Shopify-API-Version"
DEPRECATED_HEADER = "X-Shopify-API-Deprecated-Reason"
DEPRECATION_DOCS = "https://shopify.dev/docs/api/usage/versioning#deprecation-practices"
UNSTABLE = "unstable"
SUPPORT_MONTHS = 12
_VERSION = re.compile(r"^(\d{4})-(\d{2})$")


def _release(name: str) -> datetime:
    year, month = (int(part) for part in name.split("-"))
    return datetime(year, month, 1, 17, 0, tzinfo=UTC)


def _name(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _quarter_back(year: int, month: int) -> tuple[int, int]:
    return (year, month - 3) if month > 1 else (year - 1, 10)


@dataclass(frozen=True)
class Versions:
    """The versions Shopify serves at one moment."""

    stable: tuple[str, ...]
    """Oldest first."""
    release_candidate: str

    @classmethod
    def at(cls, now: datetime) -> Versions:
        year, month = now.year, ((now.month - 1) // 3) * 3 + 1
        if now < _release(_name(year, month)):
            year, month = _quarter_back(year, month)
        latest = (year, month)
        stable = []
        while True:
            name = _name(*latest)
            ends = _release(_name(latest[0] + 1, latest[1]))
            if now >= ends:
                break
            stable.append(name)
            latest = _quarter_back(*latest)
        candidate_month = month + 3 if month < 10 else 1
        candidate = _name(year if month < 10 else year + 1, candidate_month)
        return cls(tuple(reversed(stable)), candidate)

    @property
    def supported(self) -> tuple[str, ...]:
        return (*self.stable, self.release_candidate, UNSTABLE)


@dataclass(frozen=True)
class Served:
    """Which version answers a request, and why the request is deprecated (None when it is not)."""

    version: str
    deprecated: str | None


def serve(requested: str, now: datetime) -> Served | None:
    """The version serving ``requested``; None when the path segment is not a version at all (404)."""
    versions = Versions.at(now)
    if requested in versions.supported:
        return Served(requested, None)
    if _VERSION.match(requested) is None:
        return None
    oldest = versions.stable[0]
    reason = f"API version {requested} is not supported; served by {oldest}. See {DEPRECATION_DOCS}"
    return Served(oldest, reason)
