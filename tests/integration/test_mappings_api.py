"""Field mappings through the API: defaults, versioned saves, named rule errors, tenancy, live preview."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.domain.mapping import default_rules
from control_plane.domain.principals import Principal, Role
from control_plane.domain.providers import Provider
from control_plane.integrations.secrets import SecretBox
from control_plane.services.integrations import IntegrationService, NewIntegration
from control_plane.settings import Settings
from harness.settings import SimulatorSettings
from tests.conftest import Tenants

MAPPINGS = "/api/v1/mappings"
CUSTOM: list[dict[str, Any]] = [
    {"target": "external_id", "source": "id", "required": True},
    {"target": "title", "source": "name", "transforms": ["trim", "upper"]},
    {"target": "status", "default": "draft"},
]
FAST = {"requests_per_minute": 60_000}
"""Our shared limiter out of the way: these tests are about mapping, not pacing."""


def preview_path(integration_id: uuid.UUID) -> str:
    return f"/api/v1/integrations/{integration_id}/mapping-preview"


async def _count(sessions: async_sessionmaker[AsyncSession], table: str) -> int:
    async with sessions() as session:
        return int((await session.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one())  # noqa: S608


async def test_a_company_without_a_mapping_gets_the_provider_default(client: AsyncTestClient, tenants: Tenants) -> None:
    response = await client.get(f"{MAPPINGS}/shopify", headers=tenants.acme.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["default"] is True and body["version"] == 0
    assert body["company_id"] == str(tenants.acme.company_id) and body["provider"] == "shopify"
    assert body["rules"] == default_rules(Provider.SHOPIFY)


async def test_saving_validates_and_bumps_the_version(
    client: AsyncTestClient, tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    first = await client.put(f"{MAPPINGS}/roastify", json={"rules": CUSTOM}, headers=tenants.beans.auth)
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1 and first.json()["default"] is False
    changed = [*CUSTOM[:2], {"target": "status", "default": "active"}]
    second = await client.put(f"{MAPPINGS}/roastify", json={"rules": changed}, headers=tenants.beans.auth)
    assert second.status_code == 200, second.text
    assert second.json()["version"] == 2
    current = (await client.get(f"{MAPPINGS}/roastify", headers=tenants.beans.auth)).json()
    assert current["version"] == 2 and current["default"] is False
    assert current["rules"][2] == {"target": "status", "default": "active"}
    assert await _count(sessions, "field_mappings") == 1


async def test_an_invalid_rule_is_a_422_naming_it(
    client: AsyncTestClient, tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bad = [*CUSTOM, {"target": "price", "source": "variants[0].retailPrice", "transforms": ["cents"]}]
    response = await client.put(f"{MAPPINGS}/roastify", json={"rules": bad}, headers=tenants.beans.auth)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["errors"] == [{"field": "rules[3].transforms[0]", "message": "unknown transform 'cents'"}]
    assert problem["detail"] == "rules[3].transforms[0]: unknown transform 'cents'"
    assert await _count(sessions, "field_mappings") == 0


async def test_every_bad_rule_is_named_at_once(client: AsyncTestClient, tenants: Tenants) -> None:
    bad = [
        *CUSTOM,
        {"target": "price", "source": "variants[0].retailPrice", "transforms": ["cents"]},
        {"target": "colour", "source": "x"},
    ]
    response = await client.put(f"{MAPPINGS}/roastify", json={"rules": bad}, headers=tenants.beans.auth)
    assert response.status_code == 422, response.text
    fields = [error["field"] for error in response.json()["errors"]]
    assert fields[:2] == ["rules[3].transforms[0]", "rules[4].target"], fields


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"rules": [{"target": "title"}]}, 422, "rules[0].source"),
        ({"rules": [{"target": "title", "sorce": "x"}]}, 400, "sorce"),
        ({"rules": "all of them"}, 400, "rules"),
        ({"rules": [{"target": "t" * 65, "source": "x"}]}, 400, "target"),
        ({"rules": [{"target": "title", "source": "x"}] * 101}, 400, "rules"),
        ({}, 400, "rules"),
    ],
)
async def test_malformed_bodies_name_the_field(
    client: AsyncTestClient, tenants: Tenants, body: dict[str, Any], status: int, field: str
) -> None:
    response = await client.put(f"{MAPPINGS}/shopify", json=body, headers=tenants.acme.auth)
    assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert any(field in error["field"] or field in error["message"] for error in errors), errors


async def test_an_unknown_provider_is_refused(client: AsyncTestClient, tenants: Tenants) -> None:
    response = await client.get(f"{MAPPINGS}/etsy", headers=tenants.acme.auth)
    assert response.status_code == 400, response.text


async def test_a_vendor_only_ever_sees_its_own_company(client: AsyncTestClient, tenants: Tenants) -> None:
    saved = await client.put(f"{MAPPINGS}/shopify", json={"rules": CUSTOM}, headers=tenants.acme.auth)
    assert saved.status_code == 200, saved.text
    other = (await client.get(f"{MAPPINGS}/shopify", headers=tenants.beans.auth)).json()
    assert other["default"] is True and other["company_id"] == str(tenants.beans.company_id)
    peek = await client.get(
        f"{MAPPINGS}/shopify", params={"company_id": str(tenants.acme.company_id)}, headers=tenants.beans.auth
    )
    assert peek.status_code == 404
    overwrite = await client.put(
        f"{MAPPINGS}/shopify",
        params={"company_id": str(tenants.acme.company_id)},
        json={"rules": default_rules(Provider.SHOPIFY)},
        headers=tenants.beans.auth,
    )
    assert overwrite.status_code == 404
    mine = (await client.get(f"{MAPPINGS}/shopify", headers=tenants.acme.auth)).json()
    assert mine["version"] == 1 and mine["rules"] == CUSTOM


async def test_an_operator_must_name_the_company(client: AsyncTestClient, tenants: Tenants) -> None:
    unnamed = await client.get(f"{MAPPINGS}/shopify", headers=tenants.operator)
    assert unnamed.status_code == 422 and unnamed.json()["errors"][0]["field"] == "company_id"
    missing = await client.get(
        f"{MAPPINGS}/shopify", params={"company_id": str(uuid.uuid4())}, headers=tenants.operator
    )
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "company_id"
    acme = {"company_id": str(tenants.acme.company_id)}
    saved = await client.put(f"{MAPPINGS}/shopify", params=acme, json={"rules": CUSTOM}, headers=tenants.operator)
    assert saved.status_code == 200 and saved.json()["company_id"] == str(tenants.acme.company_id)
    assert (await client.get(f"{MAPPINGS}/shopify", headers=tenants.acme.auth)).json()["version"] == 1


@pytest.fixture
async def simulator(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=SimulatorSettings().roastify_base, timeout=10) as sim:
        yield sim


async def _roastify_account(simulator: httpx.AsyncClient, **config: Any) -> str:
    account = f"map-{uuid.uuid4().hex[:10]}"
    response = await simulator.put(f"/_sim/accounts/roastify/{account}", json={"products": 5, **config})
    assert response.status_code in (200, 201, 204), response.text
    return account


async def _roastify_integration(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, company_id: uuid.UUID, account: str
) -> uuid.UUID:
    """Created the way an operator connects a simulator account: explicit base URL, sealed key."""
    operator = Principal(subject="test:operator", role=Role.OPERATOR, company_id=None)
    secrets = SecretBox(settings.provider.secrets_key.get_secret_value())
    new = NewIntegration(
        provider=Provider.ROASTIFY,
        name=account,
        credential=f"rk_sim_{account}",
        account_settings={"currency": "eur", **FAST},
        base_url=f"{SimulatorSettings().roastify_base}/roastify/{account}",
        company_id=company_id,
    )
    async with sessions() as session:
        integration = await IntegrationService(session, actor=operator, secrets=secrets).create(new)
        await session.commit()
        return integration.id


async def test_preview_maps_live_products_and_writes_nothing(
    client: AsyncTestClient,
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    simulator: httpx.AsyncClient,
) -> None:
    account = await _roastify_account(simulator)
    integration_id = await _roastify_integration(sessions, settings, tenants.beans.company_id, account)
    response = await client.post(preview_path(integration_id), json={"limit": 2}, headers=tenants.beans.auth)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == 2
    for item in items:
        source, mapped = item["source"], item["mapped"]
        assert item["errors"] == [] and mapped is not None
        assert mapped["external_id"] == item["external_id"] == source["id"]
        assert mapped["title"] == source["name"].strip() and mapped["currency"] == "EUR"
        cents = source["variants"][0]["retailPrice"]
        assert Decimal(mapped["price"]) == Decimal(cents) / 100
        assert len(mapped["variants"]) == len(source["variants"])
        assert all(isinstance(variant["grams"], int) for variant in mapped["variants"])
    assert await _count(sessions, "field_mappings") == 0
    assert await _count(sessions, "products") == 0


async def test_preview_uses_the_rules_given_or_the_saved_ones(
    client: AsyncTestClient,
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    simulator: httpx.AsyncClient,
) -> None:
    account = await _roastify_account(simulator)
    integration_id = await _roastify_integration(sessions, settings, tenants.beans.company_id, account)
    path = preview_path(integration_id)
    await client.put(f"{MAPPINGS}/roastify", json={"rules": CUSTOM}, headers=tenants.beans.auth)
    saved = (await client.post(path, json={}, headers=tenants.beans.auth)).json()["items"]
    assert len(saved) == 3  # the default limit
    assert all(item["mapped"]["status"] == "draft" and item["mapped"]["title"].isupper() for item in saved)
    broken = [{"target": "external_id", "source": "id"}, {"target": "title", "source": "nope", "required": True}]
    tried = (await client.post(path, json={"rules": broken, "limit": 1}, headers=tenants.beans.auth)).json()["items"]
    assert tried[0]["mapped"] is None
    assert tried[0]["errors"] == [{"field": "title", "message": "required, but 'nope' resolved to nothing"}]
    invalid = await client.post(path, json={"rules": [{"target": "title", "source": "x"}]}, headers=tenants.beans.auth)
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "rules"
    too_many = await client.post(path, json={"limit": 21}, headers=tenants.beans.auth)
    assert too_many.status_code == 400


async def test_preview_of_another_companys_integration_is_not_found(
    client: AsyncTestClient,
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    simulator: httpx.AsyncClient,
) -> None:
    account = await _roastify_account(simulator)
    integration_id = await _roastify_integration(sessions, settings, tenants.beans.company_id, account)
    response = await client.post(preview_path(integration_id), json={}, headers=tenants.acme.auth)
    assert response.status_code == 404, response.text
    as_operator = await client.post(preview_path(integration_id), json={"limit": 1}, headers=tenants.operator)
    assert as_operator.status_code == 200, as_operator.text


async def test_an_account_the_provider_refuses_is_a_422_naming_the_integration(
    client: AsyncTestClient,
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    simulator: httpx.AsyncClient,
) -> None:
    """A gone account (404) is the integration's to fix; retrying the provider would not help."""
    account = await _roastify_account(simulator, gone=True)
    integration_id = await _roastify_integration(sessions, settings, tenants.beans.company_id, account)
    response = await client.post(preview_path(integration_id), json={}, headers=tenants.beans.auth)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["field"] == "integration_id"
    assert "roastify refused this integration" in problem["detail"] and "404" in problem["detail"]


async def test_keep_empty_is_saved_for_a_text_target_and_refused_elsewhere(
    client: AsyncTestClient, tenants: Tenants
) -> None:
    kept = [*CUSTOM, {"target": "vendor", "source": "vendor", "keep_empty": True}]
    saved = await client.put(f"{MAPPINGS}/roastify", json={"rules": kept}, headers=tenants.beans.auth)
    assert saved.status_code == 200, saved.text
    assert saved.json()["rules"][3] == {"target": "vendor", "source": "vendor", "keep_empty": True}
    bad = [*CUSTOM, {"target": "price", "source": "price", "keep_empty": True}]
    refused = await client.put(f"{MAPPINGS}/roastify", json={"rules": bad}, headers=tenants.beans.auth)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "rules[3].keep_empty"
