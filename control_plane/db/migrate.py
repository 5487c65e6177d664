"""Run Alembic migrations from code (the CLI, the local stack and the tests use this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from control_plane.db.engine import create_engine
from control_plane.settings import DatabaseSettings, Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def run_migration(
    db: DatabaseSettings, revision: str, *, downgrade: bool = False, database: str | None = None
) -> None:
    """Upgrade (or downgrade) the database to ``revision`` over one connection."""
    engine = create_engine(db, database=database)
    try:
        async with engine.begin() as conn:

            def _run(sync_conn: Connection) -> None:
                config = alembic_config(sync_conn)
                if downgrade:
                    command.downgrade(config, revision)
                else:
                    command.upgrade(config, revision)

            await conn.run_sync(_run)
    finally:
        await engine.dispose()


async def upgrade_head(settings: Settings) -> None:
    await run_migration(settings.database, "head")
