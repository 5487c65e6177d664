"""`importctl demo`: seed demo tenants, submit an import through the running API, show it."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path
from typing import Any

import click
import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.cli.session import integration_service, run_in_session
from control_plane.db.repositories.catalog import CatalogRepository
from control_plane.integrations.queue import create_redis
from control_plane.settings import Settings
from harness.demo import SeededVendor, ensure_demo_vendors, issue_demo_keys, key_is_valid
from harness.settings import HarnessSettings, get_harness_settings

DEMO_PATIENCE_S = 120.0


def _credentials_file(settings: HarnessSettings) -> Path:
    return settings.stack.state_dir / "demo-credentials.json"


def _seed(settings: HarnessSettings) -> tuple[list[SeededVendor], dict[str, str]]:
    async def action(session: AsyncSession, _product: Settings) -> tuple[list[SeededVendor], dict[str, str]]:
        pepper = settings.auth.api_key_pepper.get_secret_value()
        vendors = await ensure_demo_vendors(session, pepper, integration_service(session, settings), settings.simulator)
        path = _credentials_file(settings)
        keys: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        wanted = {"operator", *(v.slug for v in vendors)}
        if set(keys) != wanted or not all([await key_is_valid(session, k, pepper) for k in keys.values()]):
            keys = await issue_demo_keys(session, pepper, vendors)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(keys, indent=2))
            os.chmod(path, 0o600)
        return vendors, keys

    return run_in_session(action)


async def _submit_and_show(settings: HarnessSettings, vendor: SeededVendor, keys: dict[str, str]) -> None:
    other = next(slug for slug in keys if slug not in ("operator", vendor.slug))
    async with httpx.AsyncClient(base_url=settings.api.base_url, timeout=10) as client:
        response = await client.post(
            "/api/v1/imports",
            json={"integration_id": str(vendor.integration_id)},
            headers={
                "Authorization": f"Bearer {keys[vendor.slug]}",
                "Idempotency-Key": f"demo-{uuid.uuid4()}",
            },
        )
        response.raise_for_status()
        body = response.json()
        job_id = body["job"]["id"]
        click.echo(f"submitted import {job_id} as {vendor.slug}: HTTP {response.status_code}, {body['message']}")
        theirs = await client.get(f"/api/v1/imports/{job_id}", headers={"Authorization": f"Bearer {keys[other]}"})
        click.echo(f"the same job seen with {other}'s key: HTTP {theirs.status_code} (tenant isolation)")
        job = await _follow(client, job_id, {"Authorization": f"Bearer {keys[vendor.slug]}"})
        progress = job["progress"]
        click.echo(
            f"job {job['status']}: {progress['products_processed']} products, "
            f"{progress['images_processed']}/{progress['images_total']} images with thumbnails"
            + (f", last error: {job['last_error']}" if job["last_error"] else "")
        )
    redis = create_redis(settings.redis)
    try:
        present = await redis.exists(f"arq:job:{job_id}", f"arq:result:{job_id}")
    finally:
        await redis.aclose()
    click.echo(f"in Redis under the same id: {'yes' if present else 'no'} (arq:job/arq:result {job_id})")


async def _follow(client: httpx.AsyncClient, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    """Poll the job through the API until it finishes (or the demo's patience runs out)."""
    deadline = asyncio.get_running_loop().time() + DEMO_PATIENCE_S
    last_status = ""
    while True:
        job: dict[str, Any] = (await client.get(f"/api/v1/imports/{job_id}", headers=headers)).json()
        finished = job["status"] in ("COMPLETED", "FAILED", "CANCELLED")
        if job["status"] != last_status:
            products = job["progress"]["products_processed"]
            click.echo(f"  … {job['status']} ({products} products{'' if finished else ' so far'})")
            last_status = job["status"]
        if finished or asyncio.get_running_loop().time() > deadline:
            return job
        await asyncio.sleep(0.5)


def _show_catalog(company_id: uuid.UUID) -> None:
    async def action(session: AsyncSession, _settings: Settings) -> list[tuple[str, Any, str | None, str | None]]:
        return await CatalogRepository(session).sample(company_id, 3)

    bucket = get_harness_settings().s3.bucket
    for title, price, currency, thumbnail in run_in_session(action):
        where = f"thumbnail s3://{bucket}/{thumbnail}" if thumbnail else "(no image)"
        click.echo(f"  {title[:48]:<48} {price} {currency or ''}  {where}")


@click.command()
def demo() -> None:
    """Seed demo tenants and keys, submit an import through the running API, print where things are."""
    settings = get_harness_settings()
    vendors, keys = _seed(settings)
    asyncio.run(_submit_and_show(settings, vendors[0], keys))
    click.echo("a few of the imported products:")
    _show_catalog(vendors[0].company_id)
    base = settings.api.base_url
    click.echo(
        f"\nAPI            {base}\nOpenAPI docs   {base}/schema  (Swagger UI: {base}/schema/swagger)"
        f"\nDemo API keys  {_credentials_file(settings)}\n"
        f'\nTry it:\n  curl -s -H "Authorization: Bearer {keys[vendors[0].slug]}" {base}/api/v1/imports\n'
    )
