"""Per-company limits on the real stack: request rate (429 + Retry-After), active imports, storage, sizes.

Each test builds the app with tight limits on the session's own database and
Redis db; every refusal is a problem document naming its cause.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.api.app import create_app
from control_plane.db.models import StorageUsage
from control_plane.settings import LimitSettings, Settings
from tests.conftest import Tenants
from tests.integration.conftest import IMPORTS

pytestmark = pytest.mark.integration

AnyClient = AsyncTestClient  # type: ignore[type-arg]


async def _client(settings: Settings, **limits: int) -> AsyncIterator[AnyClient]:
    tuned = replace(settings, limits=LimitSettings(**limits))
    async with AsyncTestClient(app=create_app(tuned)) as client:
        yield client


@pytest.fixture
async def tight(migrated: Settings, tenants: Tenants) -> AsyncIterator[AnyClient]:
    async for client in _client(migrated, api_requests_per_minute=60, api_burst=3, max_active_imports=1):
        yield client


async def test_a_company_over_its_request_rate_gets_429_with_retry_after(tight: AnyClient, tenants: Tenants) -> None:
    statuses = [(await tight.get(IMPORTS, headers=tenants.acme.auth)).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = await tight.get(IMPORTS, headers=tenants.acme.auth)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["type"].endswith(":rate_limited")
    other = await tight.get(IMPORTS, headers=tenants.beans.auth)
    assert other.status_code == 200, "the limit is per company: another company is unaffected"


async def test_a_company_at_its_active_import_cap_is_refused_naming_the_field(
    tight: AnyClient, tenants: Tenants
) -> None:
    body = {"integration_id": str(tenants.acme.integration_id)}
    keyed = {**tenants.acme.auth, "Idempotency-Key": "cap-replay-1"}
    first = await tight.post(IMPORTS, json=body, headers=keyed)
    assert first.status_code == 202, first.text  # no worker runs: it stays waiting
    replay = await tight.post(IMPORTS, json=body, headers=keyed)
    assert replay.status_code == 200 and replay.json()["job"]["id"] == first.json()["job"]["id"], replay.text
    second = await tight.post(IMPORTS, json=body, headers=tenants.acme.auth)
    assert second.status_code == 429 and "retry-after" in second.headers
    problem = second.json()
    assert problem["errors"][0]["field"] == "integration_id"
    assert (problem["limit"], problem["current"]) == (1, 1)


async def test_a_company_at_its_storage_quota_cannot_start_imports(
    migrated: Settings, tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session:
        await session.execute(sa.insert(StorageUsage).values(company_id=tenants.acme.company_id, bytes_stored=5000))
        await session.commit()
    async for client in _client(migrated, max_storage_bytes=4096):
        refused = await client.post(
            IMPORTS, json={"integration_id": str(tenants.acme.integration_id)}, headers=tenants.acme.auth
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["type"].endswith(":quota_exceeded") and refused.json()["current"] == 5000
        accepted = await client.post(
            IMPORTS, json={"integration_id": str(tenants.beans.integration_id)}, headers=tenants.beans.auth
        )
        assert accepted.status_code == 202, accepted.text


async def test_oversized_bodies_pages_and_strings_are_problems_naming_the_cause(
    client: AnyClient, tenants: Tenants, migrated: Settings
) -> None:
    huge = await client.post(
        IMPORTS,
        content=b'{"integration_id": "' + b"x" * (migrated.api.max_body_bytes + 1) + b'"}',
        headers={**tenants.acme.auth, "Content-Type": "application/json"},
    )
    assert huge.status_code == 413 and huge.headers["content-type"].startswith("application/problem+json")
    page = await client.get(f"{IMPORTS}?limit={migrated.api.max_page_size + 1}", headers=tenants.acme.auth)
    assert page.status_code == 422 and page.json()["errors"][0]["field"] == "limit"  # the configured cap
    long_name = await client.post(
        "/api/v1/integrations",
        json={"provider": "shopify", "name": "n" * 201, "credential": "c", "account_settings": {"shop": "s-1"}},
        headers=tenants.acme.auth,
    )
    assert long_name.status_code == 400 and "name" in long_name.text
    too_many_rules = [{"target": "title", "source": f"f{i}"} for i in range(101)]
    rules = await client.put("/api/v1/mappings/shopify", json={"rules": too_many_rules}, headers=tenants.acme.auth)
    assert rules.status_code == 400 and "rules" in rules.text  # the schema declares at most 100 rules
