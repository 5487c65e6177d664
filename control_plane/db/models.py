"""Every table of the control plane, in one place.

PostgreSQL is the authority: a job exists once its row is committed here,
whatever Redis says.  Enumerations are stored as text with CHECK constraints
so migrations stay reversible without native enum types.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from control_plane.domain.jobs import JobStatus
from control_plane.domain.principals import Role, Tier
from control_plane.domain.providers import Provider

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


def _text_enum(enum: type[Any], name: str) -> sa.Enum:
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


def _now() -> sa.TextClause:
    return sa.text("now()")


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    tier: Mapped[Tier] = mapped_column(_text_enum(Tier, "tier"), default=Tier.BASIC)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_now())


class ApiCredential(Base):
    """An API key.  Only a peppered SHA-256 of the key is stored; the key is shown once."""

    __tablename__ = "api_credentials"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    company_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(_text_enum(Role, "role"))
    key_prefix: Mapped[str] = mapped_column(sa.String(32))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_now())
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (sa.CheckConstraint("role <> 'vendor' OR company_id IS NOT NULL", name="vendor_has_company"),)


class Integration(Base):
    """A company's connection to one provider account (a Shopify shop, a Roastify account)."""

    __tablename__ = "integrations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    company_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    provider: Mapped[Provider] = mapped_column(_text_enum(Provider, "provider"))
    name: Mapped[str] = mapped_column(sa.String(200))
    base_url: Mapped[str] = mapped_column(sa.String(2048))
    account_settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    secret_ciphertext: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_now())


class FieldMapping(Base):
    __tablename__ = "field_mappings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    company_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"))
    provider: Mapped[Provider] = mapped_column(_text_enum(Provider, "provider"))
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_now())

    __table_args__ = (sa.UniqueConstraint("company_id", "provider"),)


class ImportJob(Base):
    __tablename__ = "import_jobs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    company_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"))
    integration_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("integrations.id", ondelete="CASCADE"))
    provider: Mapped[Provider] = mapped_column(_text_enum(Provider, "provider"))
    tier: Mapped[Tier] = mapped_column(_text_enum(Tier, "tier"))
    status: Mapped[JobStatus] = mapped_column(_text_enum(JobStatus, "job_status"))
    options: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    attempt_count: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=4)
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_now())
    queued_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    lease_expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    cancel_requested_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    worker_id: Mapped[str | None] = mapped_column(sa.String(200))
    products_total: Mapped[int | None] = mapped_column()
    products_processed: Mapped[int] = mapped_column(default=0)
    products_failed: Mapped[int] = mapped_column(default=0)
    images_total: Mapped[int] = mapped_column(default=0)
    images_processed: Mapped[int] = mapped_column(default=0)
    images_failed: Mapped[int] = mapped_column(default=0)
    products_removed: Mapped[int] = mapped_column(default=0, server_default="0")
    """Products a full import no longer found at the provider, marked removed."""
    images_removed: Mapped[int] = mapped_column(default=0, server_default="0")
    """Image rows dropped: no longer listed on their product, or their product was removed."""
    checkpoint: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    correlation_id: Mapped[str] = mapped_column(sa.String(200))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(200))
    request_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.UniqueConstraint("company_id", "idempotency_key"),
        sa.Index("ix_import_jobs_company_requested", "company_id", "requested_at", "id"),
        sa.Index("ix_import_jobs_requested", "requested_at", "id"),
        sa.Index("ix_import_jobs_status", "status"),
    )


class JobEvent(Base):
    """Append-only timeline of a job; a trigger refuses updates and deletes."""

    __tablename__ = "job_events"
    # Outcome counts over a window (metrics, SLOs) read status changes by time, not whole timelines.
    __table_args__ = (sa.Index("ix_job_events_to_status_at", "to_status", "at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("import_jobs.id"), index=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_now())
    kind: Mapped[str] = mapped_column(sa.String(64))
    from_status: Mapped[str | None] = mapped_column(sa.String(32))
    to_status: Mapped[str | None] = mapped_column(sa.String(32))
    actor: Mapped[str] = mapped_column(sa.String(200))
    message: Mapped[str | None] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    company_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"))
    provider: Mapped[Provider] = mapped_column(_text_enum(Provider, "provider"))
    external_id: Mapped[str] = mapped_column(sa.String(200))
    integration_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("integrations.id", ondelete="SET NULL"))
    last_import_job_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("import_jobs.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)
    vendor: Mapped[str | None] = mapped_column(sa.String(500))
    product_type: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[str | None] = mapped_column(sa.String(32))
    tags: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    sku: Mapped[str | None] = mapped_column(sa.String(200))
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    raw: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    source_updated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_now())
    removed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    """Set when a full import no longer found the product at the provider; cleared when it comes back."""

    __table_args__ = (
        sa.UniqueConstraint("company_id", "provider", "external_id"),
        sa.Index("ix_products_integration_removed", "integration_id", "removed_at"),
    )


class ProductImage(Base):
    __tablename__ = "product_images"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    company_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"))
    source_url: Mapped[str] = mapped_column(sa.String(4096))
    position: Mapped[int] = mapped_column(default=0)
    s3_key: Mapped[str | None] = mapped_column(sa.String(1024))
    thumbnail_key: Mapped[str | None] = mapped_column(sa.String(1024))
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()
    bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    thumbnail_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    """Charged with ``bytes`` when stored; given back when the row goes (see ``storage_garbage``)."""
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(32), default="pending")
    error: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_now())

    __table_args__ = (
        sa.UniqueConstraint("product_id", "source_url"),
        # Deferred to commit: a page's upserts may swap two positions on the way to 1..k.
        sa.UniqueConstraint("product_id", "position", deferrable=True, initially="DEFERRED"),
        sa.Index("ix_product_images_company", "company_id"),
        # "Does any row still reference this key?" is asked for every garbage key the sweep deletes.
        sa.Index("ix_product_images_s3_key", "s3_key"),
        sa.Index("ix_product_images_thumbnail_key", "thumbnail_key"),
    )


class ImportSeenProduct(Base):
    """Source product ids a running full import has seen; a resumed attempt keeps them, settling drops them."""

    __tablename__ = "import_seen_products"

    job_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True)
    external_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)


class StorageGarbage(Base):
    """An S3 key one company's image row stopped referencing, with the bytes that row was charged.

    The storage sweep deletes the object once no image row references the key
    (any company's: objects are shared) and gives the company its bytes back.
    """

    __tablename__ = "storage_garbage"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(1024))
    company_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"))
    bytes: Mapped[int] = mapped_column(sa.BigInteger)
    noted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_now())
    claimed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    """Set by the sweep handling the row, so a second sweep skips it until the claim is stale."""

    __table_args__ = (
        sa.Index("ix_storage_garbage_noted_at", "noted_at"),
        sa.Index("ix_storage_garbage_key", "key"),
    )


class StorageUsage(Base):
    """Bytes and objects each company keeps in S3, for quotas and billing."""

    __tablename__ = "storage_usage"

    company_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    bytes_stored: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    objects_stored: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_now())


class OpsAction(Base):
    """One operator (or automatic) action: who, what, on which scope, when, and the particulars."""

    __tablename__ = "ops_actions"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_now())
    actor: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(64))
    scope: Mapped[str | None] = mapped_column(sa.String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    __table_args__ = (sa.Index("ix_ops_actions_at", "at"),)


class SloObservation(Base):
    """One measurement of a drill-sourced SLO by a chaos drill or a load run (a recovery time, a count)."""

    __tablename__ = "slo_observations"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    slo: Mapped[str] = mapped_column(sa.String(63))
    value: Mapped[float] = mapped_column(sa.Float)
    observed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    source: Mapped[str] = mapped_column(sa.String(200))
    """What measured it: ``chaos:<drill>`` or ``load``."""
    run_id: Mapped[str] = mapped_column(sa.String(200))
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_now())
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    __table_args__ = (
        sa.UniqueConstraint("run_id", "slo", "source"),
        sa.Index("ix_slo_observations_slo_observed_at", "slo", "observed_at"),
    )
