"""Alembic migrations upgrade and downgrade cleanly on a fresh database."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from control_plane.db.migrate import run_migration
from control_plane.db.models import Base
from control_plane.settings import DatabaseSettings, Settings

SCRATCH = "icp_migrations_test"


async def _connect(db: DatabaseSettings, name: str) -> asyncpg.Connection:
    return await asyncpg.connect(
        host=db.host, port=db.port, user=db.user, password=db.password.get_secret_value(), database=name
    )


async def _tables(db: DatabaseSettings) -> set[str]:
    conn = await _connect(db, SCRATCH)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row["tablename"] for row in rows} - {"alembic_version"}
    finally:
        await conn.close()


@pytest.fixture
async def scratch(settings: Settings) -> DatabaseSettings:
    admin = await _connect(settings.database, "postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{SCRATCH}"')
    finally:
        await admin.close()
    return DatabaseSettings(**{**settings.database.model_dump(), "name": SCRATCH})


async def test_upgrade_downgrade_upgrade(scratch: DatabaseSettings) -> None:
    await run_migration(scratch, "head")
    assert await _tables(scratch) == set(Base.metadata.tables)
    await run_migration(scratch, "base", downgrade=True)
    assert await _tables(scratch) == set()
    await run_migration(scratch, "head")
    assert await _tables(scratch) == set(Base.metadata.tables)


async def test_job_events_are_append_only(scratch: DatabaseSettings) -> None:
    await run_migration(scratch, "head")
    conn = await _connect(scratch, SCRATCH)
    try:
        company = await conn.fetchval(
            "INSERT INTO companies (id, name, slug, tier) VALUES (gen_random_uuid(), 'c', 'c-co', 'BASIC') RETURNING id"
        )
        integration = await conn.fetchval(
            "INSERT INTO integrations (id, company_id, provider, name, base_url, account_settings, enabled) "
            "VALUES (gen_random_uuid(), $1, 'shopify', 'i', 'https://x', '{}', true) RETURNING id",
            company,
        )
        job = await conn.fetchval(
            "INSERT INTO import_jobs (id, company_id, integration_id, provider, tier, status,"
            " options, attempt_count, max_attempts, products_processed, products_failed,"
            " images_total, images_processed, images_failed, checkpoint, correlation_id)"
            " VALUES (gen_random_uuid(), $1, $2, 'shopify', 'BASIC', 'PENDING',"
            " '{}', 0, 4, 0, 0, 0, 0, 0, '{}', 'c') RETURNING id",
            company,
            integration,
        )
        await conn.execute(
            "INSERT INTO job_events (job_id, kind, actor, data) VALUES ($1, 'created', 'test', '{}')", job
        )
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE job_events SET kind = 'forged'")
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM job_events")
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute("UPDATE import_jobs SET status = 'DONE'")
    finally:
        await conn.close()


async def _seed_product_with_images(conn: asyncpg.Connection, positions: list[int]) -> Any:
    company = await conn.fetchval(
        "INSERT INTO companies (id, name, slug, tier) VALUES (gen_random_uuid(), 'r', 'r-co', 'BASIC') RETURNING id"
    )
    product = await conn.fetchval(
        "INSERT INTO products (id, company_id, provider, external_id, title, tags, variants, options, raw)"
        " VALUES (gen_random_uuid(), $1, 'shopify', 'p1', 't', '{}', '[]', '[]', '{}') RETURNING id",
        company,
    )
    for n, position in enumerate(positions):
        await conn.execute(
            "INSERT INTO product_images (id, product_id, company_id, source_url, position, status)"
            " VALUES (gen_random_uuid(), $1, $2, $3, $4, 'stored')",
            product,
            company,
            f"https://img.example/{n}.jpg",
            position,
        )
    return product


async def test_catalog_removals_renumbers_duplicate_positions_and_downgrades(scratch: DatabaseSettings) -> None:
    """Earlier imports appended positions [1, 1, 2]; the migration makes them 1..k and then keeps them unique."""
    await run_migration(scratch, "0004_job_events_status_at")
    conn = await _connect(scratch, SCRATCH)
    try:
        product = await _seed_product_with_images(conn, [1, 1, 2])
        await run_migration(scratch, "0005_catalog_removals")
        rows = await conn.fetch(
            "SELECT source_url, position FROM product_images WHERE product_id = $1 ORDER BY position", product
        )
        assert [r["position"] for r in rows] == [1, 2, 3]
        assert [r["source_url"] for r in rows] == [f"https://img.example/{n}.jpg" for n in (0, 1, 2)]
        async with conn.transaction():  # deferred: a swap may pass through a duplicate inside a transaction
            await conn.execute("UPDATE product_images SET position = 1 WHERE product_id = $1 AND position = 2", product)
            await conn.execute(
                "UPDATE product_images SET position = 2 WHERE product_id = $1 AND source_url LIKE '%/0.jpg'", product
            )
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute("UPDATE product_images SET position = 1 WHERE product_id = $1", product)
        columns = {
            (r["table_name"], r["column_name"])
            for r in await conn.fetch("SELECT table_name, column_name FROM information_schema.columns")
        }
        assert {
            ("products", "removed_at"),
            ("import_jobs", "products_removed"),
            ("import_jobs", "images_removed"),
            ("product_images", "thumbnail_bytes"),
        } <= columns
        await run_migration(scratch, "0004_job_events_status_at", downgrade=True)
        tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables")}
        assert not {"storage_garbage", "import_seen_products"} & tables
        await conn.execute("UPDATE product_images SET position = 1 WHERE product_id = $1", product)
    finally:
        await conn.close()
