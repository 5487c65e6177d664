"""A table of client mistakes: each is a 4xx problem naming the field, none loses or creates a job."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import FieldMapping, ImportJob, Integration
from control_plane.domain.errors import PermanentJobFailure
from control_plane.services.import_inputs import load_inputs
from control_plane.settings import Settings
from tests.conftest import Tenants, secret_box

IMPORTS = "/api/v1/imports"
STORED: tuple[type[Any], ...] = (ImportJob, Integration, FieldMapping)
"""What a refused request must leave as it was."""
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


DEEP = 1_000
"""About the depth at which the decoder hits Python's recursion limit (the 500 this refuses)."""
NESTED = "@nested@"
"""Stands for a value nested ``depth`` objects deep; spliced in as text, since no encoder can write it."""


def _nested(depth: int) -> str:
    return '{"a": ' * depth + '"leaf"' + "}" * depth


def _body(value: Any, integration: str, depth: int) -> bytes:
    text = json.dumps(_fill(value, integration))
    return text.replace(f'"{NESTED}"', _nested(depth)).encode()


async def _count(sessions: async_sessionmaker[AsyncSession], model: type[Any]) -> int:
    async with sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _shopify(**fields: Any) -> dict[str, Any]:
    return {
        "provider": "shopify",
        "name": "shop",
        "credential": "shpat_x",
        "account_settings": {"shop": "s-1"},
    } | fields


INTEGRATIONS = "/api/v1/integrations"
MAPPINGS = "/api/v1/mappings/shopify"
DEEP_RULES = {"rules": [{"target": "title", "source": "title", "default": NESTED}]}

HOSTILE_BODIES: list[tuple[str, str, str, Any, int, str]] = [
    # id, method, path, JSON body ({integration} and a NESTED value filled in), status, field named (its start)
    ("deep-import-options", "POST", IMPORTS, {"integration_id": VALID, "options": NESTED}, 400, "options.a"),
    ("deep-account-settings", "POST", INTEGRATIONS, _shopify(account_settings=NESTED), 400, "account_settings.a"),
    ("deep-mapping-default", "PUT", MAPPINGS, DEEP_RULES, 400, "rules[0].default.a"),
    (
        "nul-correlation-id",
        "POST",
        IMPORTS,
        {"integration_id": VALID, "correlation_id": "a\x00b"},
        422,
        "correlation_id",
    ),
    ("nul-integration-name", "POST", INTEGRATIONS, _shopify(name="shop\x00"), 422, "name"),
    (
        "nul-settings-key",
        "POST",
        INTEGRATIONS,
        _shopify(account_settings={"shop": "s-1", "no\x00te": 1}),
        422,
        "account_settings.no\\u0000te",
    ),
    (
        "nul-settings-value",
        "POST",
        INTEGRATIONS,
        _shopify(account_settings={"shop": "s-1", "note": ["ok", "\x00"]}),
        422,
        "account_settings.note[1]",
    ),
    ("credential-not-ascii", "POST", INTEGRATIONS, _shopify(credential="café-key"), 422, "credential"),
    ("credential-with-newline", "POST", INTEGRATIONS, _shopify(credential="key\r\nX-Evil: 1"), 422, "credential"),
    *[
        (f"shop-{shop!r}", "POST", INTEGRATIONS, _shopify(account_settings={"shop": shop}), 422, "shop")
        for shop in ("acme\n", "localhost", "0x7f000001", "2130706433", "Acme", "acme-", "a.b", "", 7)
    ],
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "named"),
    [case[1:] for case in HOSTILE_BODIES],
    ids=[c[0] for c in HOSTILE_BODIES],
)
async def test_hostile_body_is_a_4xx_problem_naming_the_field_and_stores_nothing(
    client: AsyncTestClient,
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    method: str,
    path: str,
    body: Any,
    status: int,
    named: str,
) -> None:
    before = {model: await _count(sessions, model) for model in STORED}
    content = _body(body, str(tenants.acme.integration_id), DEEP)
    headers = {**tenants.acme.auth, "Content-Type": "application/json"}
    response = await client.request(method, path, content=content, headers=headers)
    _assert_problem(response, status, "")
    fields = [error["field"] for error in response.json()["errors"]]
    assert any(field.startswith(named) for field in fields), fields
    assert {model: await _count(sessions, model) for model in STORED} == before


@pytest.mark.parametrize(("depth", "status"), [(32, 201), (33, 400)])
async def test_the_depth_limit_counts_every_level(
    client: AsyncTestClient, tenants: Tenants, migrated: Settings, depth: int, status: int
) -> None:
    """32 levels pass, 33 do not: the body and account_settings are two, the objects nested in it the rest."""
    assert migrated.api.max_json_depth == 32
    settings = {"shop": f"d{depth}", "extra": NESTED}
    content = _body(_shopify(account_settings=settings), "", depth - 2)
    headers = {**tenants.acme.auth, "Content-Type": "application/json"}
    response = await client.post(INTEGRATIONS, content=content, headers=headers)
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b'{"integration_id": "\xff\xfe"}', "body"),
        (b'{"integration_id": "x", "correlation_id": "caf\xc3"}', "body"),
        (b'{"integration_id": "x", "correlation_id": "\\ud800"}', "body"),  # a lone surrogate: no Unicode text
    ],
    ids=["invalid-start-byte", "truncated-sequence", "lone-surrogate"],
)
async def test_a_body_that_is_not_utf8_is_a_400_problem(
    client: AsyncTestClient,
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    content: bytes,
    named: str,
) -> None:
    headers = {**tenants.acme.auth, "Content-Type": "application/json"}
    response = await client.post(IMPORTS, content=content, headers=headers)
    _assert_problem(response, 400, named)
    assert await _job_count(sessions) == 0


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1", None]
)
async def test_a_body_not_declared_json_is_a_415_problem(
    client: AsyncTestClient,
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    content_type: str | None,
) -> None:
    body = json.dumps({"integration_id": str(tenants.acme.integration_id)}).encode()
    headers = {**tenants.acme.auth, **({"Content-Type": content_type} if content_type else {})}
    response = await client.post(IMPORTS, content=body, headers=headers)
    _assert_problem(response, 415, "Content-Type")
    assert await _job_count(sessions) == 0


async def test_json_with_a_utf8_charset_is_accepted(client: AsyncTestClient, tenants: Tenants) -> None:
    body = json.dumps({"integration_id": str(tenants.acme.integration_id)}).encode()
    headers = {**tenants.acme.auth, "Content-Type": "application/json; charset=UTF-8"}
    response = await client.post(IMPORTS, content=body, headers=headers)
    assert response.status_code == 202, response.text


async def test_nul_in_an_idempotency_key_is_a_422_problem(
    client: AsyncTestClient, tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    payload = {"integration_id": str(tenants.acme.integration_id)}
    response = await client.post(IMPORTS, json=payload, headers={**tenants.acme.auth, "Idempotency-Key": "k\x00"})
    _assert_problem(response, 422, "Idempotency-Key")
    assert await _job_count(sessions) == 0


async def test_nul_in_the_operator_search_is_a_422_problem(client: AsyncTestClient, tenants: Tenants) -> None:
    response = await client.get("/api/v1/ops/jobs/search", params={"q": "acme\x00"}, headers=tenants.operator)
    _assert_problem(response, 422, "q")


async def test_headers_over_the_limit_are_a_431_problem(
    client: AsyncTestClient, tenants: Tenants, sessions: async_sessionmaker[AsyncSession], migrated: Settings
) -> None:
    payload = {"integration_id": str(tenants.acme.integration_id)}
    padding = {"X-Padding": "a" * migrated.api.max_header_bytes}
    response = await client.post(IMPORTS, json=payload, headers={**tenants.acme.auth, **padding})
    _assert_problem(response, 431, "headers")
    assert await _job_count(sessions) == 0


async def test_a_stored_credential_no_header_can_carry_is_a_422_at_preview_and_fails_jobs_at_once(
    client: AsyncTestClient, tenants: Tenants, sessions: async_sessionmaker[AsyncSession], migrated: Settings
) -> None:
    """Stored before the rule: the preview names the credential, a job fails permanently instead of retrying."""
    async with sessions() as session:
        integration = await session.get(Integration, tenants.acme.integration_id)
        assert integration is not None
        integration.secret_ciphertext = secret_box(migrated).seal("café-key")
        await session.commit()
    path = f"{INTEGRATIONS}/{tenants.acme.integration_id}/mapping-preview"
    _assert_problem(await client.post(path, json={}, headers=tenants.acme.auth), 422, "credential")
    submitted = await client.post(
        IMPORTS, json={"integration_id": str(tenants.acme.integration_id)}, headers=tenants.acme.auth
    )
    async with sessions() as session:
        job = await session.get(ImportJob, uuid.UUID(submitted.json()["job"]["id"]))
        assert job is not None
        with pytest.raises(PermanentJobFailure, match="visible ASCII"):
            await load_inputs(session, job, secret_box(migrated))
