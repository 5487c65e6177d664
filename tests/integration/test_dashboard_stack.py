"""The local stack's dashboard credential: issued once, kept private, re-issued only when it stops working."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.settings import Settings
from harness.settings import StackSettings, harness_settings_of
from harness.stack.dashboard import ensure_key

pytestmark = pytest.mark.integration


async def test_dashboard_key_is_issued_once_and_replaced_when_revoked(
    migrated: Settings, clean: None, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    settings = harness_settings_of(migrated, stack=StackSettings(state_dir=tmp_path))
    first = await ensure_key(settings)
    stored = tmp_path / "dashboard-credentials.json"
    assert json.loads(stored.read_text()) == {"key": first}
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert await ensure_key(settings) == first
    async with sessions() as session:
        role = (await session.execute(sa.text("SELECT role FROM api_credentials"))).scalar_one()
        assert role == "operator"
        await session.execute(sa.text("UPDATE api_credentials SET revoked_at = now()"))
        await session.commit()
    second = await ensure_key(settings)
    assert second != first
    assert json.loads(stored.read_text()) == {"key": second}
