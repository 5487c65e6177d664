"""Engine and session factory for the asyncpg driver."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from control_plane.db.job_moves import Announce, AnnouncingSession
from control_plane.settings import DatabaseSettings


def database_unreachable(exc: BaseException) -> bool:
    """The database could not be reached or every pooled connection was busy: a state of the world, not a bug.

    The API answers it with a 503; a worker puts the job it could not claim back to wait, instead of dropping it.
    """
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout | OSError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def create_engine(settings: DatabaseSettings, *, database: str | None = None) -> AsyncEngine:
    """An engine whose connections fail fast and carry a statement timeout."""
    server_settings = {"application_name": "import-control-plane"}
    if settings.statement_timeout_ms:
        server_settings["statement_timeout"] = str(settings.statement_timeout_ms)
    return create_async_engine(
        settings.url(database),
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_pre_ping=True,
        pool_timeout=settings.connect_timeout_s,
        connect_args={"timeout": settings.connect_timeout_s, "server_settings": server_settings},
        json_serializer=encode_json,
    )


_JSON = msgspec.json.Encoder()


def encode_json(value: Any) -> str:
    """JSON/JSONB parameters, encoded several times faster than the standard library (a page's raw payloads).

    Encodes everything ``json.dumps`` does the same way (NaN aside, which PostgreSQL refuses anyway), and
    Decimals as strings, as ``jsonable`` would: mapped variants go in without a copy.
    """
    return _JSON.encode(value).decode()


def create_session_factory(
    engine: AsyncEngine, *, announce: Announce | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions whose commits announce the jobs they moved to ``announce`` (see :mod:`control_plane.db.job_moves`)."""
    # expire_on_commit=False: handlers read rows after committing them.
    sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
        engine, class_=AnnouncingSession, expire_on_commit=False, autoflush=False, announce=announce
    )
    return sessions
