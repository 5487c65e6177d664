"""Provider credentials: sealed at rest, never returned by the API, never written to a log.

A known secret goes in through the API; the database holds only ciphertext,
no response carries it, and neither the API's log (captured with the app's own
JSON formatter) nor the worker's log of a real import mentions it, even when
the provider rejects it.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
import structlog
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import Integration
from control_plane.domain.providers import Provider
from control_plane.logging import REDACTED, json_formatter
from control_plane.settings import Settings
from tests.conftest import Tenants, secret_box, simulator_account
from tests.integration.conftest import Rig
from tests.support.jobs import wait_for_status

pytestmark = pytest.mark.integration

INTEGRATIONS = "/api/v1/integrations"


@pytest.fixture
def api_log(client: AsyncTestClient) -> Iterator[io.StringIO]:  # type: ignore[type-arg]
    """Everything the app logs at any level, rendered by the app's own formatter."""
    root = logging.getLogger()
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(json_formatter())
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(previous)


async def test_a_credential_is_sealed_and_never_returned_or_logged(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    api_log: io.StringIO,
) -> None:
    secret = f"shpat_known_secret_{uuid.uuid4().hex}"
    body = {"provider": "shopify", "name": "secret-shop", "credential": secret, "account_settings": {"shop": "s-1"}}
    created = await client.post(INTEGRATIONS, json=body, headers=tenants.acme.auth)
    assert created.status_code == 201, created.text
    integration_id = created.json()["id"]
    assert created.json()["has_credential"] is True
    responses = [
        created,
        await client.get(INTEGRATIONS, headers=tenants.acme.auth),
        await client.get(f"{INTEGRATIONS}/{integration_id}", headers=tenants.acme.auth),
        await client.get(INTEGRATIONS, headers=tenants.operator),
        await client.post(INTEGRATIONS, json={**body, "name": ""}, headers=tenants.acme.auth),  # a rejected one
    ]
    for response in responses:
        assert secret not in response.text, response.request.url
    async with sessions() as session:
        stored = await session.scalar(sa.select(Integration.secret_ciphertext).where(Integration.id == integration_id))
    assert stored is not None and secret.encode() not in stored
    assert secret_box(settings).open(stored) == secret
    logged = api_log.getvalue()
    assert "validation" in logged or "integrations" in logged or logged, "the capture sees the app's log"
    assert secret not in logged


def test_secret_named_log_fields_are_redacted(api_log: io.StringIO) -> None:
    structlog.get_logger("secrets-test").warning(
        "provider.call", credential="shpat_plain", x_api_key="rk_plain", Authorization="Bearer icp_plain", shop="s"
    )
    line = api_log.getvalue()
    assert "provider.call" in line and '"shop": "s"' in line
    assert "shpat_plain" not in line and "rk_plain" not in line and "icp_plain" not in line
    assert line.count(REDACTED) == 3


async def test_an_import_never_logs_its_credential(rig: Rig, settings: Settings) -> None:
    _, credential = simulator_account(settings, Provider.SHOPIFY, rig.tenants.acme.account)
    await rig.shop(products=5, images_max=0)
    (worker,) = rig.start_workers(1)
    job = await wait_for_status(rig.sessions, await rig.submit(), "COMPLETED", "FAILED")
    assert job.status.value == "COMPLETED", job.last_error
    await rig.shop(products=5, credential="shpat_rotated_elsewhere")  # the provider now rejects it
    failed = await wait_for_status(rig.sessions, await rig.submit(), "COMPLETED", "FAILED")
    assert failed.status.value == "FAILED" and "credentials" in (failed.last_error or "")
    assert credential not in (failed.last_error or "")
    log_text = worker.log_text()
    assert '"job.completed"' in log_text and credential not in log_text
