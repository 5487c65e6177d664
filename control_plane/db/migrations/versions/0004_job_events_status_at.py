"""Index the timeline's status changes by time: metrics and SLO windows count them every scrape.

Revision ID: 0004_job_events_status_at
Revises: 0003_viewer_role
Create Date: 2026-11-23 17:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0004_job_events_status_at"
down_revision = "0003_viewer_role"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_job_events_to_status_at", "job_events", ["to_status", "at"])


def downgrade() -> None:
    op.drop_index("ix_job_events_to_status_at", table_name="job_events")
