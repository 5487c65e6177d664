"""Database commands: migrate up and down."""

from __future__ import annotations

import asyncio

import click

from control_plane.db.migrate import run_migration
from control_plane.settings import get_settings


@click.group()
def db() -> None:
    """Schema migrations (Alembic)."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    asyncio.run(run_migration(get_settings().database, revision))
    click.echo(f"database upgraded to {revision}")


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (e.g. base, or -1)."""
    asyncio.run(run_migration(get_settings().database, revision, downgrade=True))
    click.echo(f"database downgraded to {revision}")
