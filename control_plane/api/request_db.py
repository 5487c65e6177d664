"""One pooled database connection per request, shared by the access guard and the handler.

The API is CPU- and pool-bound, so a request checks a connection out at most once
(each checkout also costs ``pool_pre_ping``'s round trip). The guard and the
``db_session`` dependency ask :func:`request_session` for the request's session;
it is opened on first use, on a connection the session is bound to, so the
guard's commit (an API key's last-used time) does not hand the connection back.
:class:`CloseRequestDatabase` closes it after the request, whether or not the
handler asked for it and whether or not it raised.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

STATE_KEY = "_icp_request_database"


class RequestDatabase:
    """The request's connection and session, both opened on first use."""

    __slots__ = ("_connection", "_engine", "_session", "_sessions")

    def __init__(self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._engine = engine
        self._sessions = sessions
        self._connection: AsyncConnection | None = None
        self._session: AsyncSession | None = None

    async def session(self) -> AsyncSession:
        if self._session is None:
            self._connection = await self._engine.connect()
            # Bound to the connection: commits end the transaction but keep the connection for the next one.
            self._session = self._sessions(bind=self._connection)
        return self._session

    async def close(self) -> None:
        """Roll back whatever was not committed and return the connection to the pool (the next use reopens)."""
        session, connection = self._session, self._connection
        self._session = self._connection = None
        try:
            if session is not None:
                await session.close()
        finally:
            if connection is not None:
                await connection.close()


def request_database(connection: ASGIConnection[Any, Any, Any, Any]) -> RequestDatabase:
    """The request's database, not yet connected if nothing used it (a long-poll closes and reopens it)."""
    scope_state: dict[str, Any] = connection.scope["state"]
    database = scope_state.get(STATE_KEY)
    if database is None:
        state = connection.app.state
        database = scope_state[STATE_KEY] = RequestDatabase(state.engine, state.sessions)
    assert isinstance(database, RequestDatabase)
    return database


async def request_session(connection: ASGIConnection[Any, Any, Any, Any]) -> AsyncSession:
    """The request's session (the same one for the guard, dependencies and the handler)."""
    return await request_database(connection).session()


class CloseRequestDatabase(ASGIMiddleware):
    """Closes the request's database session and connection once the request is done, errors included."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        try:
            await next_app(scope, receive, send)
        finally:
            database = scope.get("state", {}).get(STATE_KEY)
            if isinstance(database, RequestDatabase):
                await database.close()
