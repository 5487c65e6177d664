"""Which provider answers mean the integration itself is refused (its credential or account), whatever is retried."""

from __future__ import annotations

import httpx
import pytest

from control_plane.integrations.providers.base import AccountRefused, PermanentProviderError
from control_plane.integrations.providers.transport import _permanent_for


@pytest.mark.parametrize("status", [401, 402, 403, 404, 423])
def test_a_refused_credential_or_account_is_an_account_refusal(status: int) -> None:
    error = _permanent_for(httpx.Response(status), "shopify")
    assert isinstance(error, AccountRefused) and error.status == status and not error.retryable


@pytest.mark.parametrize("status", [400, 406, 409, 422])
def test_another_refusal_is_permanent_but_not_the_accounts(status: int) -> None:
    error = _permanent_for(httpx.Response(status, text="bad query"), "shopify")
    assert isinstance(error, PermanentProviderError) and not isinstance(error, AccountRefused)
    assert "bad query" in error.message
