"""Alembic environment: migrations always run over a connection handed in by
:mod:`control_plane.db.migrate`, so one code path serves the CLI, the stack and tests."""

from __future__ import annotations

from alembic import context

from control_plane.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `importctl db upgrade`, which provides a connection")

context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
