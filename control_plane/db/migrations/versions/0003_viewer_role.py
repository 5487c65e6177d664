"""API credentials may carry the read-only viewer role (not bound to a company).

Revision ID: 0003_viewer_role
Revises: 0002_ops_actions
Create Date: 2026-12-02 09:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0003_viewer_role"
down_revision = "0002_ops_actions"
branch_labels = None
depends_on = None

TABLE = "api_credentials"


def _replace(role_check: str, company_check: str) -> None:
    op.drop_constraint(op.f("ck_api_credentials_role"), TABLE, type_="check")
    op.drop_constraint(op.f("ck_api_credentials_vendor_has_company"), TABLE, type_="check")
    op.create_check_constraint(op.f("ck_api_credentials_role"), TABLE, role_check)
    op.create_check_constraint(op.f("ck_api_credentials_vendor_has_company"), TABLE, company_check)


def upgrade() -> None:
    _replace("role IN ('vendor', 'operator', 'viewer')", "role <> 'vendor' OR company_id IS NOT NULL")


def downgrade() -> None:
    op.execute("DELETE FROM api_credentials WHERE role = 'viewer'")
    _replace("role IN ('vendor', 'operator')", "role = 'operator' OR company_id IS NOT NULL")
