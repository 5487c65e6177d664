"""Which provider failures hand a job back without spending an attempt: "later", never "broken"."""

from __future__ import annotations

from control_plane.integrations.providers.base import ProviderDeferred, RetryableProviderError
from workers.runner import defers_without_attempt


def test_an_open_breaker_or_our_own_limiter_defers() -> None:
    assert defers_without_attempt(ProviderDeferred("shopify: circuit open", retry_after_s=30))


def test_a_throttle_that_outlasted_the_paced_retries_defers() -> None:
    assert defers_without_attempt(RetryableProviderError("shopify: still THROTTLED after 5 paced retries", status=429))
    assert defers_without_attempt(
        RetryableProviderError("shopify: still throttled (HTTP 429) after waiting 60s", status=429, retry_after_s=2)
    )


def test_server_errors_timeouts_and_resets_spend_an_attempt() -> None:
    assert not defers_without_attempt(RetryableProviderError("shopify: HTTP 503", status=503))
    assert not defers_without_attempt(RetryableProviderError("shopify: connection reset"))
