"""JWT key rotation: tokens signed by a previous key are accepted only while that key is configured."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from litestar.testing import AsyncTestClient
from pydantic import SecretStr

from control_plane.api.app import create_app
from control_plane.settings import AuthSettings, Settings
from tests.conftest import Tenants

IMPORTS = "/api/v1/imports"
CURRENT = "rotation-test-current-key-0123456789abcdef"
PREVIOUS = "rotation-test-previous-key-0123456789abcdef"
OLDER = "rotation-test-older-key-0123456789abcdefgh"
UNKNOWN = "rotation-test-unknown-key-0123456789abcdef"

ClientFor = Callable[..., Any]


def _token(settings: Settings, tenants: Tenants, secret: str, *, kid: str | None = None, **overrides: Any) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": "svc-rotation",
        "iss": settings.auth.jwt_issuer,
        "aud": settings.auth.jwt_audience,
        "exp": now + timedelta(minutes=5),
        "iat": now,
        "role": "vendor",
        "company_id": str(tenants.acme.company_id),
        **overrides,
    }
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims, secret, algorithm=settings.auth.jwt_algorithm, headers=headers)


@pytest.fixture
def client_for(migrated: Settings, tenants: Tenants) -> ClientFor:
    """An API client whose JWT keys are ``current`` plus ``previous`` (the rest of the settings unchanged)."""

    @asynccontextmanager
    async def open_client(current: str, *previous: str) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
        auth = AuthSettings(
            jwt_secret=SecretStr(current), jwt_previous_secrets=tuple(SecretStr(key) for key in previous)
        )
        async with AsyncTestClient(app=create_app(replace(migrated, auth=auth))) as client:
            yield client

    return open_client


async def _status(client: AsyncTestClient, token: str) -> int:  # type: ignore[type-arg]
    response = await client.get(IMPORTS, headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 401:
        assert response.headers["content-type"].startswith("application/problem+json")
    return response.status_code


async def test_a_previous_key_is_accepted_while_configured_and_refused_after(
    client_for: ClientFor, settings: Settings, tenants: Tenants
) -> None:
    old_token = _token(settings, tenants, PREVIOUS)
    new_token = _token(settings, tenants, CURRENT, kid="2026-11")
    async with client_for(CURRENT, PREVIOUS, OLDER) as client:
        assert await _status(client, old_token) == 200
        assert await _status(client, new_token) == 200
        assert await _status(client, _token(settings, tenants, OLDER, kid="ancient")) == 200
    async with client_for(CURRENT) as client:  # the rotation is over: the previous key is removed
        assert await _status(client, old_token) == 401
        assert await _status(client, new_token) == 200


@pytest.mark.parametrize(
    ("secret", "overrides"),
    [
        (UNKNOWN, {}),
        (PREVIOUS, {"exp": datetime.now(UTC) - timedelta(minutes=1)}),
        (PREVIOUS, {"aud": "someone-else"}),
        (PREVIOUS, {"iss": "someone-else"}),
        (CURRENT, {"exp": datetime.now(UTC) - timedelta(minutes=1)}),
    ],
    ids=["unknown-key", "previous-expired", "previous-audience", "previous-issuer", "current-expired"],
)
async def test_unknown_keys_and_bad_claims_are_refused_during_a_rotation(
    client_for: ClientFor, settings: Settings, tenants: Tenants, secret: str, overrides: dict[str, Any]
) -> None:
    async with client_for(CURRENT, PREVIOUS) as client:
        assert await _status(client, _token(settings, tenants, secret, **overrides)) == 401
