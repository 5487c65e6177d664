"""Catalog removals: removed products, replaced image sets, unique positions, storage garbage.

A full import marks what the provider no longer lists as removed (a timestamp,
never a hard delete) and remembers, per job, which products it saw, so a
resumed attempt still knows them.  Image rows that disappear leave their S3
keys in ``storage_garbage`` until a sweep finds them unreferenced.

Revision ID: 0005_catalog_removals
Revises: 0004_job_events_status_at
Create Date: 2026-12-02 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_catalog_removals"
down_revision = "0004_job_events_status_at"
branch_labels = None
depends_on = None

RENUMBER_POSITIONS = """
UPDATE product_images AS i SET position = ranked.n
FROM (
    SELECT id, row_number() OVER (PARTITION BY product_id ORDER BY position, source_url, id) AS n
    FROM product_images
) AS ranked
WHERE ranked.id = i.id AND i.position IS DISTINCT FROM ranked.n
"""
"""Earlier imports appended positions [1, 1, 2, …]; renumber each product's rows 1..k in their order."""


def upgrade() -> None:
    op.add_column("products", sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("import_jobs", sa.Column("products_removed", sa.Integer(), server_default="0", nullable=False))
    op.add_column("import_jobs", sa.Column("images_removed", sa.Integer(), server_default="0", nullable=False))
    op.add_column("product_images", sa.Column("thumbnail_bytes", sa.BigInteger(), nullable=True))
    op.execute(RENUMBER_POSITIONS)
    op.create_unique_constraint(
        "uq_product_images_product_id_position",
        "product_images",
        ["product_id", "position"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_index("ix_product_images_s3_key", "product_images", ["s3_key"])
    op.create_index("ix_product_images_thumbnail_key", "product_images", ["thumbnail_key"])
    op.create_index("ix_products_integration_removed", "products", ["integration_id", "removed_at"])
    op.create_table(
        "import_seen_products",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["import_jobs.id"],
            name=op.f("fk_import_seen_products_job_id_import_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "external_id", name=op.f("pk_import_seen_products")),
    )
    op.create_table(
        "storage_garbage",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("noted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_storage_garbage_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_garbage")),
    )
    op.create_index("ix_storage_garbage_noted_at", "storage_garbage", ["noted_at"])
    op.create_index("ix_storage_garbage_key", "storage_garbage", ["key"])


def downgrade() -> None:
    op.drop_index("ix_storage_garbage_key", table_name="storage_garbage")
    op.drop_index("ix_storage_garbage_noted_at", table_name="storage_garbage")
    op.drop_table("storage_garbage")
    op.drop_table("import_seen_products")
    op.drop_index("ix_products_integration_removed", table_name="products")
    op.drop_index("ix_product_images_thumbnail_key", table_name="product_images")
    op.drop_index("ix_product_images_s3_key", table_name="product_images")
    op.drop_constraint("uq_product_images_product_id_position", "product_images", type_="unique")
    op.drop_column("product_images", "thumbnail_bytes")
    op.drop_column("import_jobs", "images_removed")
    op.drop_column("import_jobs", "products_removed")
    op.drop_column("products", "removed_at")
