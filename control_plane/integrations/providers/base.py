"""What every provider client offers, and how its failures are classified.

Clients page through a catalog one page at a time; the opaque cursor of the
next page is persisted as the job's checkpoint, so an interrupted import
resumes where it stopped instead of re-reading the catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from control_plane.domain.providers import Provider


@dataclass(frozen=True)
class SourceProduct:
    """One product as the provider describes it.

    ``payload`` is provider-native: for Shopify the REST product shape (the
    GraphQL client converts its nodes to it), for Roastify the detail shape.
    It holds JSON values only (what the provider's JSON decoded to), so it is
    stored as the ``raw`` JSONB column as it is.
    """

    external_id: str
    updated_at: datetime | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class ProductPage:
    products: list[SourceProduct]
    next_cursor: str | None
    """Opaque; pass it back to get the next page. None after the last page."""
    restarted: bool = False
    """The provider starts the catalog over from here (a new bulk operation): progress so far is void."""


@dataclass(frozen=True)
class IntegrationAccess:
    """Everything a client needs to reach one provider account (credential decrypted)."""

    integration_id: str
    company_id: str
    provider: Provider
    base_url: str
    account_settings: dict[str, Any]
    credential: str


class ProviderClient(Protocol):
    provider: Provider

    async def fetch_page(
        self,
        cursor: str | None,
        *,
        page_size: int | None = None,
        updated_since: datetime | None = None,
        bulk_allowed: bool = False,
        sample: bool = False,
    ) -> ProductPage:
        """The page after ``cursor`` (None = first page).

        ``bulk_allowed``: the caller reads the whole catalog, so the client may use the provider's bulk
        export for it (a preview or a capped import reads only a few products and never should).
        ``sample``: the products are shown, not stored (a mapping preview): a product's nested lists may stop
        at what one page holds instead of costing further calls.
        """
        ...


ProviderClientFactory = Callable[[IntegrationAccess], ProviderClient]
"""Builds a client for one integration; edges construct it with shared HTTP, limiter and breaker."""


class ProviderError(Exception):
    """A provider call failed. ``retryable`` says whether trying later can succeed."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None, retry_after_s: float | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status
        self.retry_after_s = retry_after_s


class PermanentProviderError(ProviderError):
    """Bad credentials, a shop that is gone, a response that breaks the provider's contract."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message, retryable=False, status=status)


class AccountRefused(PermanentProviderError):
    """The provider will not serve this credential or account (401, 402, 403, 404, 423): the integration's to fix."""


class RetryableProviderError(ProviderError):
    """429s, 5xx, timeouts and resets: the same call can succeed later."""

    def __init__(self, message: str, *, status: int | None = None, retry_after_s: float | None = None) -> None:
        super().__init__(message, retryable=True, status=status, retry_after_s=retry_after_s)


class ProviderDeferred(RetryableProviderError):
    """The call was not made: the rate limit or an open breaker says later.

    Not a failure of the job: it is deferred without spending an attempt.
    """
