"""SLO observations: what chaos drills and load runs measured for the drill-sourced SLOs.

The verifier reads them for its window instead of evidence files; one row per
SLO, run and source, so a run recorded twice keeps its first measurement.

Revision ID: 0006_slo_observations
Revises: 0005_catalog_removals
Create Date: 2026-12-03 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_slo_observations"
down_revision = "0005_catalog_removals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slo_observations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("slo", sa.String(length=63), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slo_observations")),
        sa.UniqueConstraint("run_id", "slo", "source", name=op.f("uq_slo_observations_run_id_slo_source")),
    )
    op.create_index("ix_slo_observations_slo_observed_at", "slo_observations", ["slo", "observed_at"])


def downgrade() -> None:
    op.drop_index("ix_slo_observations_slo_observed_at", table_name="slo_observations")
    op.drop_table("slo_observations")
