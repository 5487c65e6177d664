"""Authentication (API keys, JWTs) and tenant isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ApiCredential
from control_plane.settings import Settings
from tests.conftest import Tenants

IMPORTS = "/api/v1/imports"


def _token(settings: Settings, secret: str | None = None, **overrides: Any) -> str:
    auth = settings.auth
    claims: dict[str, Any] = {
        "sub": "svc-1",
        "iss": auth.jwt_issuer,
        "aud": auth.jwt_audience,
        "exp": datetime.now(UTC) + timedelta(minutes=5),
        "iat": datetime.now(UTC),
        "role": "vendor",
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, secret or auth.jwt_secret.get_secret_value(), algorithm=auth.jwt_algorithm)


async def _submit(client: AsyncTestClient, tenants: Tenants) -> str:
    response = await client.post(
        IMPORTS, json={"integration_id": str(tenants.acme.integration_id)}, headers=tenants.acme.auth
    )
    assert response.status_code == 202
    job_id: str = response.json()["job"]["id"]
    return job_id


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic Zm9vOmJhcg=="},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer icp_nope"},
    ],
    ids=["missing", "basic", "empty", "unknown-key"],
)
async def test_requests_without_valid_credentials_get_401_problem(
    client: AsyncTestClient, tenants: Tenants, headers: dict[str, str]
) -> None:
    response = await client.get(IMPORTS, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


async def test_other_company_gets_404_for_every_job_action(client: AsyncTestClient, tenants: Tenants) -> None:
    job_id = await _submit(client, tenants)
    for method, path in (
        ("GET", f"{IMPORTS}/{job_id}"),
        ("GET", f"{IMPORTS}/{job_id}/events"),
        ("POST", f"{IMPORTS}/{job_id}/cancel"),
        ("POST", f"{IMPORTS}/{job_id}/retry"),
    ):
        response = await client.request(method, path, headers=tenants.beans.auth)
        assert response.status_code == 404, (method, path, response.text)
    assert (await client.get(f"{IMPORTS}/{job_id}", headers=tenants.acme.auth)).status_code == 200
    listing = await client.get(IMPORTS, params={"company_id": str(tenants.acme.company_id)}, headers=tenants.beans.auth)
    assert listing.json()["items"] == []


async def test_vendor_cannot_import_through_another_companys_integration(
    client: AsyncTestClient, tenants: Tenants
) -> None:
    response = await client.post(
        IMPORTS, json={"integration_id": str(tenants.acme.integration_id)}, headers=tenants.beans.auth
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "integration_id", "message": "no integration with this id"}]


async def test_operator_sees_every_company(client: AsyncTestClient, tenants: Tenants) -> None:
    job_id = await _submit(client, tenants)
    await client.post(IMPORTS, json={"integration_id": str(tenants.beans.integration_id)}, headers=tenants.beans.auth)
    assert (await client.get(f"{IMPORTS}/{job_id}", headers=tenants.operator)).status_code == 200
    everything = (await client.get(IMPORTS, headers=tenants.operator)).json()["items"]
    assert {item["company_id"] for item in everything} == {
        str(tenants.acme.company_id),
        str(tenants.beans.company_id),
    }
    only_beans = await client.get(
        IMPORTS, params={"company_id": str(tenants.beans.company_id)}, headers=tenants.operator
    )
    assert {item["company_id"] for item in only_beans.json()["items"]} == {str(tenants.beans.company_id)}


async def test_revoked_key_is_refused_and_last_use_is_recorded(
    client: AsyncTestClient, tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert (await client.get(IMPORTS, headers=tenants.acme.auth)).status_code == 200
    async with sessions() as session:
        used = await session.scalar(
            sa.select(ApiCredential.last_used_at).where(ApiCredential.company_id == tenants.acme.company_id)
        )
        assert used is not None
        await session.execute(
            sa.update(ApiCredential)
            .where(ApiCredential.company_id == tenants.acme.company_id)
            .values(revoked_at=datetime.now(UTC))
        )
        await session.commit()
    assert (await client.get(IMPORTS, headers=tenants.acme.auth)).status_code == 401


async def test_vendor_jwt_is_scoped_to_its_company(
    client: AsyncTestClient, tenants: Tenants, settings: Settings
) -> None:
    job_id = await _submit(client, tenants)
    acme = {"Authorization": f"Bearer {_token(settings, company_id=str(tenants.acme.company_id))}"}
    beans = {"Authorization": f"Bearer {_token(settings, company_id=str(tenants.beans.company_id))}"}
    assert (await client.get(f"{IMPORTS}/{job_id}", headers=acme)).status_code == 200
    assert (await client.get(f"{IMPORTS}/{job_id}", headers=beans)).status_code == 404
    operator = {"Authorization": f"Bearer {_token(settings, role='operator')}"}
    assert (await client.get(f"{IMPORTS}/{job_id}", headers=operator)).status_code == 200


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": datetime.now(UTC) - timedelta(minutes=1)},
        {"aud": "someone-else"},
        {"iss": "someone-else"},
        {"secret": "not-the-real-secret-but-long-enough-for-hs256"},
        {"role": "admin"},
        {"company_id": None},
        {"company_id": "not-a-uuid"},
    ],
    ids=["expired", "audience", "issuer", "signature", "role", "vendor-without-company", "bad-company"],
)
async def test_bad_jwts_are_refused(
    client: AsyncTestClient, tenants: Tenants, settings: Settings, overrides: dict[str, Any]
) -> None:
    claims = {"company_id": str(uuid.uuid4()), **overrides}
    token = _token(settings, **claims)
    response = await client.get(IMPORTS, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
