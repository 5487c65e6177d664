"""One Shopify Admin GraphQL call, paced on the shop's query-cost bucket.

The requested cost is reserved in the shop's shared bucket before the call
(:mod:`control_plane.integrations.redis_state.query_cost`), so every job of a
shop waits its turn instead of spending Shopify's THROTTLED answers; the
answer's ``extensions.cost`` settles the reservation. A THROTTLED answer puts
the points back and waits ``(cost - available) / restoreRate`` (plus jitter)
before the retry, never a busy retry. ``MAX_COST_EXCEEDED`` is the caller's
cue to ask for less (:class:`QueryTooCostly`). Headers saying the call used
something deprecated, or that another API version answered, are logged once
and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import structlog

from control_plane.domain.ratelimit import RateLimited
from control_plane.integrations.providers.base import (
    PermanentProviderError,
    ProviderDeferred,
    RetryableProviderError,
)
from control_plane.integrations.providers.transport import ProviderTransport, json_body, require
from control_plane.integrations.redis_state.query_cost import QueryCostBucket, ThrottleStatus

NAME = "shopify"
MAX_THROTTLED_ANSWERS = 5
"""THROTTLED answers one call accepts (each after a paced wait) before the job is deferred."""
RETRYABLE_CODES = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"})
DEPRECATED_HEADER = "x-shopify-api-deprecated-reason"
VERSION_HEADER = "x-shopify-api-version"

log = structlog.get_logger("control_plane.providers.shopify")


class QueryTooCostly(Exception):
    """Shopify refused the query as above its single-query cost limit (``MAX_COST_EXCEEDED``)."""

    def __init__(self, requested: int | None) -> None:
        super().__init__(f"requested cost {requested} is above Shopify's single-query limit")
        self.requested = requested


class DeprecationObserver(Protocol):
    async def deprecated_call(self, provider: str, integration_id: str) -> bool: ...


@dataclass(frozen=True)
class ShopAccess:
    """Where one shop's GraphQL endpoint is and how calls to it are paced."""

    url: str
    token: str
    api_version: str
    integration_id: str
    bucket_key: str
    max_wait_s: float = 30.0


class ShopifyGraphQL:
    def __init__(
        self,
        transport: ProviderTransport,
        access: ShopAccess,
        bucket: QueryCostBucket,
        deprecations: DeprecationObserver | None = None,
    ) -> None:
        self._transport = transport
        self._access = access
        self._bucket = bucket
        self._deprecations = deprecations
        self._headers = {"X-Shopify-Access-Token": access.token, "Content-Type": "application/json"}
        self._version_noted = False

    async def query(self, document: str, variables: dict[str, Any] | None, *, cost: int) -> dict[str, Any]:
        """The ``data`` of a successful answer; QueryTooCostly, or a classified ProviderError."""
        key = self._access.bucket_key
        for _ in range(MAX_THROTTLED_ANSWERS):
            try:
                reservation = await self._bucket.reserve(key, cost, max_wait_s=self._access.max_wait_s)
            except RateLimited as exc:
                detail = f"{NAME}: the shop's query-cost budget is spent for now"
                raise ProviderDeferred(detail, retry_after_s=exc.retry_after_s) from exc
            try:
                response = await self._transport.send(
                    "POST", self._access.url, headers=self._headers, json={"query": document, "variables": variables}
                )
            except BaseException:
                await self._bucket.settle(reservation, cost, None)  # not charged by Shopify as far as we know
                raise
            await self._headers_seen(response)
            body = json_body(response, NAME)
            require(isinstance(body, dict), NAME, "a JSON object")
            extensions = body.get("extensions")
            status = ThrottleStatus.parse(extensions)
            codes = _error_codes(body.get("errors"))
            if "THROTTLED" in codes:
                await self._bucket.settle(reservation, cost, status)
                continue
            await self._bucket.settle(reservation, cost - _actual_cost(extensions, cost), status)
            if "MAX_COST_EXCEEDED" in codes:
                raise QueryTooCostly(_requested_cost(extensions))
            _raise_for_errors(body.get("errors"), codes)
            data = body.get("data")
            require(isinstance(data, dict), NAME, "data")
            return dict(data)
        raise RetryableProviderError(
            f"{NAME}: still THROTTLED after {MAX_THROTTLED_ANSWERS} paced retries", status=429, retry_after_s=5.0
        )

    async def _headers_seen(self, response: httpx.Response) -> None:
        reason = response.headers.get(DEPRECATED_HEADER)
        access, observer = self._access, self._deprecations
        if reason and observer is not None and await observer.deprecated_call(NAME, access.integration_id):
            log.warning("shopify.deprecated_call", integration_id=access.integration_id, reason=reason[:300])
        served = response.headers.get(VERSION_HEADER)
        if served and served != access.api_version and not self._version_noted:
            self._version_noted = True
            log.warning(
                "shopify.api_version_fell_forward",
                integration_id=access.integration_id,
                requested=access.api_version,
                served=served[:20],
            )


def _error_codes(errors: Any) -> set[str]:
    if not isinstance(errors, list):
        return set()
    codes = set()
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        if isinstance(code, str):
            codes.add(code)
    return codes


def _raise_for_errors(errors: Any, codes: set[str]) -> None:
    if not errors:
        return
    detail = f"{NAME}: GraphQL errors {errors!r:.300}"
    if codes & RETRYABLE_CODES:
        raise RetryableProviderError(detail, retry_after_s=5.0)
    raise PermanentProviderError(detail)


def _cost_field(extensions: Any, name: str) -> Any:
    cost = extensions.get("cost") if isinstance(extensions, dict) else None
    return cost.get(name) if isinstance(cost, dict) else None


def _actual_cost(extensions: Any, reserved: int) -> float:
    """What Shopify charged; the whole reservation when it does not say."""
    actual = _cost_field(extensions, "actualQueryCost")
    if isinstance(actual, int | float) and not isinstance(actual, bool) and 0 <= actual <= reserved:
        return float(actual)
    return float(reserved)


def _requested_cost(extensions: Any) -> int | None:
    requested = _cost_field(extensions, "requestedQueryCost")
    return requested if isinstance(requested, int) and not isinstance(requested, bool) else None
