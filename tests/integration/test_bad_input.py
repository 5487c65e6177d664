"""A table of client mistakes: each is a 4xx problem naming the field, none loses or creates a job."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob
from tests.conftest import Tenants

IMPORTS = "/api/v1/imports"
VALID = "{integration}"  # replaced by the tenant's integration id

BAD_SUBMISSIONS: list[tuple[str, Any, dict[str, str], int, str]] = [
    # id, JSON body, extra headers, expected status, field (or cause) named
    ("missing-integration", {}, {}, 400, "integration_id"),
    ("integration-not-uuid", {"integration_id": "abc"}, {}, 400, "integration_id"),
    ("integration-wrong-type", {"integration_id": 7}, {}, 400, "integration_id"),
    (
        "unknown-integration",
        {"integration_id": "00000000-0000-0000-0000-000000000001"},
        {},
        422,
        "integration_id",
    ),
    ("unknown-field", {"integration_id": VALID, "integrationid": 1}, {}, 400, "integrationid"),
    ("unknown-option", {"integration_id": VALID, "options": {"max_product": 3}}, {}, 400, "max_product"),
    ("max-products-zero", {"integration_id": VALID, "options": {"max_products": 0}}, {}, 400, "max_products"),
    (
        "max-products-huge",
        {"integration_id": VALID, "options": {"max_products": 10_001}},
        {},
        400,
        "max_products",
    ),
    (
        "since-not-a-date",
        {"integration_id": VALID, "options": {"updated_since": "yesterday"}},
        {},
        400,
        "updated_since",
    ),
    (
        "images-not-bool",
        {"integration_id": VALID, "options": {"include_images": "yes"}},
        {},
        400,
        "include_images",
    ),
    ("options-not-object", {"integration_id": VALID, "options": []}, {}, 400, "options"),
    (
        "correlation-too-long",
        {"integration_id": VALID, "correlation_id": "x" * 201},
        {},
        400,
        "correlation_id",
    ),
    ("body-is-a-list", [1, 2], {}, 400, "body"),
    (
        "idempotency-key-too-long",
        {"integration_id": VALID},
        {"Idempotency-Key": "k" * 201},
        400,
        "Idempotency-Key",
    ),
]


def _fill(value: Any, integration: str) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, integration) for k, v in value.items()}
    return integration if value == VALID else value


async def _job_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) or 0)


def _assert_problem(response: Any, status: int, named: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("urn:")
    assert named in response.text, f"{named!r} not named in {response.text}"


@pytest.mark.parametrize(
    ("body", "headers", "status", "named"),
    [case[1:] for case in BAD_SUBMISSIONS],
    ids=[c[0] for c in BAD_SUBMISSIONS],
)
async def test_bad_submission_is_a_problem_naming_the_field(
    client: AsyncTestClient,
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    body: Any,
    headers: dict[str, str],
    status: int,
    named: str,
) -> None:
    payload = _fill(body, str(tenants.acme.integration_id))
    response = await client.post(IMPORTS, json=payload, headers={**tenants.acme.auth, **headers})
    _assert_problem(response, status, named)
    assert await _job_count(sessions) == 0


async def test_a_body_of_the_wrong_shape_is_named_body(client: AsyncTestClient, tenants: Tenants) -> None:
    response = await client.post(IMPORTS, json=[1, 2], headers=tenants.acme.auth)
    _assert_problem(response, 400, "body")
    assert [error["field"] for error in response.json()["errors"]] == ["body"]


async def test_malformed_json_is_a_400_problem(client: AsyncTestClient, tenants: Tenants) -> None:
    response = await client.post(
        IMPORTS,
        content=b'{"integration_id": ',
        headers={**tenants.acme.auth, "Content-Type": "application/json"},
    )
    _assert_problem(response, 400, "JSON")


async def test_oversized_body_is_a_413_problem(client: AsyncTestClient, tenants: Tenants) -> None:
    huge = {"integration_id": str(tenants.acme.integration_id), "correlation_id": "x" * 2_000_000}
    response = await client.post(IMPORTS, json=huge, headers=tenants.acme.auth)
    _assert_problem(response, 413, "")


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"status": "DONE"}, "status"),
        ({"provider": "amazon"}, "provider"),
        ({"company_id": "acme"}, "company_id"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "definitely-not-a-cursor"}, "cursor"),
    ],
)
async def test_bad_listing_parameters_are_problems(
    client: AsyncTestClient, tenants: Tenants, params: dict[str, Any], named: str
) -> None:
    response = await client.get(IMPORTS, params=params, headers=tenants.acme.auth)
    assert 400 <= response.status_code < 500
    _assert_problem(response, response.status_code, named)


@pytest.mark.parametrize("path", [f"{IMPORTS}/not-a-uuid", f"{IMPORTS}/00000000-0000-0000-0000-000000000000"])
async def test_unknown_or_malformed_job_ids_are_404_problems(
    client: AsyncTestClient, tenants: Tenants, path: str
) -> None:
    response = await client.get(path, headers=tenants.acme.auth)
    _assert_problem(response, 404, "")


async def test_wrong_method_is_a_405_problem(client: AsyncTestClient, tenants: Tenants) -> None:
    response = await client.delete(IMPORTS, headers=tenants.acme.auth)
    _assert_problem(response, 405, "")
