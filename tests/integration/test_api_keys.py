"""API keys through the operator CLI: listed without secrets, revoked and rotated, refused at once by the API."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.cli.main import cli
from control_plane.db.models import ApiCredential
from control_plane.settings import Settings, get_settings
from tests.conftest import Tenants

IMPORTS = "/api/v1/imports"


@pytest.fixture
def importctl(settings: Settings) -> Iterator[CliRunner]:
    """`importctl` against this session's test database; settings are cached per process, so reset them."""
    get_settings.cache_clear()
    yield CliRunner(env={"ICP_DB_NAME": settings.database.name})
    get_settings.cache_clear()


async def _run(runner: CliRunner, *args: str) -> Result:
    """In a thread: the command runs its own event loop."""
    return await asyncio.to_thread(runner.invoke, cli, ["tenants", *args])


async def _key_id(sessions: async_sessionmaker[AsyncSession], key: str) -> uuid.UUID:
    async with sessions() as session:
        found = await session.scalar(sa.select(ApiCredential.id).where(ApiCredential.key_prefix == key[:12]))
    assert found is not None
    return found


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_list_keys_shows_metadata_and_never_a_key_or_hash(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    importctl: CliRunner,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert (await client.get(IMPORTS, headers=tenants.acme.auth)).status_code == 200  # sets last-used
    listed = await _run(importctl, "list-keys", "--company", "acme-co")
    assert listed.exit_code == 0, listed.output
    header, *rows = listed.output.strip().splitlines()
    assert header.split("\t")[:3] == ["id", "prefix", "role"]
    assert len(rows) == 1 and str(await _key_id(sessions, tenants.acme.key)) in rows[0]
    fields = rows[0].split("\t")
    assert fields[2:5] == ["vendor", "acme-co", "test"] and fields[6] != "never"
    async with sessions() as session:
        hashes = (await session.scalars(sa.select(ApiCredential.key_hash))).all()
    everything = (await _run(importctl, "list-keys")).output
    assert len(everything.strip().splitlines()) == 1 + 4  # two vendors, the operator, the viewer
    assert tenants.acme.key not in everything and not any(h in everything for h in hashes)


async def test_a_revoked_key_is_refused_at_once_and_others_still_work(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    importctl: CliRunner,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    key_id = await _key_id(sessions, tenants.acme.key)
    assert (await client.get(IMPORTS, headers=tenants.acme.auth)).status_code == 200
    revoked = await _run(importctl, "revoke-key", str(key_id))
    assert revoked.exit_code == 0, revoked.output
    refused = await client.get(IMPORTS, headers=tenants.acme.auth)
    assert refused.status_code == 401 and refused.json()["detail"] == "unknown or revoked API key"
    assert (await client.get(IMPORTS, headers=tenants.beans.auth)).status_code == 200
    again = await _run(importctl, "revoke-key", str(key_id))
    assert again.exit_code != 0 and "already revoked" in again.output
    unknown = await _run(importctl, "revoke-key", str(uuid.uuid4()))
    assert unknown.exit_code != 0 and "no API key" in unknown.output
    shown = (await _run(importctl, "list-keys", "--company", "acme-co")).output
    assert str(key_id) not in shown and str(key_id) in (await _run(importctl, "list-keys", "--all")).output


async def test_rotation_issues_a_working_key_with_the_same_role_and_company_and_revokes_the_old(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    importctl: CliRunner,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    old_id = await _key_id(sessions, tenants.acme.key)
    rotated = await _run(importctl, "rotate-key", str(old_id))
    assert rotated.exit_code == 0, rotated.output
    new_key = rotated.output.strip()
    assert new_key.startswith("icp_") and new_key != tenants.acme.key
    assert (await client.get(IMPORTS, headers=tenants.acme.auth)).status_code == 401
    whoami = await client.get("/api/v1/ops/whoami", headers=_bearer(new_key))
    assert whoami.status_code == 200
    assert whoami.json()["role"] == "vendor" and whoami.json()["company_id"] == str(tenants.acme.company_id)
    async with sessions() as session:
        new = await session.get(ApiCredential, await _key_id(sessions, new_key))
    assert new is not None and new.name == "test" and new.revoked_at is None
    twice = await _run(importctl, "rotate-key", str(old_id))
    assert twice.exit_code != 0 and "already revoked" in twice.output
    operator_id = await _key_id(sessions, tenants.operator_key)
    operator_key = (await _run(importctl, "rotate-key", str(operator_id))).output.strip()
    assert (await client.get("/api/v1/ops/actions", headers=_bearer(operator_key))).status_code == 200
    assert (await client.get("/api/v1/ops/actions", headers=tenants.operator)).status_code == 401
