"""The one table of problem statuses: 400 when a request does not decode, 422 when our rules reject it."""

from __future__ import annotations

import pytest
from litestar.exceptions import SerializationException, ValidationException

from control_plane.api.problems import STATUS, status_of
from control_plane.domain import errors
from control_plane.domain.limits import QuotaExceeded, RateLimitExceeded
from control_plane.domain.mapping.errors import FieldError, InvalidMapping, ProviderCallFailed


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (SerializationException("not JSON"), 400),
        (ValidationException("wrong type"), 400),
        (errors.InvalidRequest("no integration with this id", field="integration_id"), 422),
        (InvalidMapping([FieldError("rules[0]", "unknown target")]), 422),
        (errors.AuthenticationFailed("no credential"), 401),
        (errors.PermissionDenied("viewer"), 403),
        (errors.NotFound("import job not found"), 404),
        (errors.InvalidTransition("COMPLETED", "CANCELLED"), 409),
        (errors.IdempotencyMismatch("reused"), 409),
        (QuotaExceeded("bytes", field="bytes", limit=1, current=2), 409),
        (RateLimitExceeded(3.0), 429),
        (ProviderCallFailed("down", retryable=True), 502),
        (errors.DependencyUnavailable("redis", "away"), 503),
        (errors.AdmissionRejected("red", "shedding", retry_after_s=30), 503),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_each_error_has_its_one_status(error: Exception, status: int) -> None:
    assert status_of(error) == status


def _shadowed(kinds: list[type[Exception]]) -> list[str]:
    """Kinds listed after one of their bases: ``status_of`` takes the first match, so they never apply."""
    return [
        later.__name__
        for i, kind in enumerate(kinds)
        for later in kinds[i + 1 :]
        if issubclass(later, kind) and later is not kind
    ]


def test_specific_errors_come_before_their_bases() -> None:
    assert _shadowed(list(STATUS)) == []


def test_a_base_listed_first_is_caught() -> None:
    assert _shadowed([errors.DomainError, errors.InvalidRequest]) == ["InvalidRequest"]
