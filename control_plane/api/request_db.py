"""One pooled database connection per request, shared by the access guard and the handler.

The API is CPU- and pool-bound, so a request checks a connection out at most once
(each checkout also costs ``pool_pre_ping``'s round trip). The guard and the
``db_session`` dependency ask :func:`request_session` for the request's session;
it is opened on first use, on a connection the session is bound to, so the
guard's commit (an API key's last-used time) does not hand the connection back.
:class:`CloseRequestDatabase` closes it after the request, whether or not the
handler asked for it and whether or not it raised.

Requests that change something (any method but GET, HEAD, OPTIONS) share at most
part of the pool (:func:`write_share`); the rest stays for reads, so a burst of
submissions cannot make status reads wait for a connection and fail. Each
company's requests hold at most its share (:class:`CompanyShares`), so one
company's flood cannot take what the others need. A route
may declare a query parameter whose seconds the caller is willing to wait
(:func:`patient_with`, the job long-poll's ``wait``): its request waits that
long for a connection too before it is told the database is busy.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import weakref
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from control_plane.domain.limits import TooManyInFlight

STATE_KEY = "_icp_request_database"
PATIENCE_OPT = "connection_patience_from"
MAX_PATIENCE_S = 60.0
log = logging.getLogger("control_plane.api")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing: the only ones a read-only (viewer) credential may use, and reads of the pool."""


class WriteShareBusy(PoolTimeout):
    """Every connection requests that change something may hold is in use (a 503 ``database_busy``, like the pool's)."""


class ConnectionShare:
    """At most ``limit`` of a process's pooled connections serve the requests this share covers at once."""

    def __init__(self, limit: int, timeout_s: float, refuse: Callable[[], Exception]) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._timeout_s = timeout_s
        self._refuse = refuse

    async def acquire(self) -> None:
        """Wait for a place as long as the pool itself would wait for a connection, then refuse."""
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._slots.acquire()
        except TimeoutError:
            raise self._refuse() from None

    def release(self) -> None:
        self._slots.release()


def write_share(limit: int, timeout_s: float) -> ConnectionShare:
    """The share of requests that change something: refused as the busy database it protects."""
    return ConnectionShare(limit, timeout_s, lambda: WriteShareBusy("every database connection writes may use is busy"))


class CompanyShares:
    """Each limit subject's (company's) share of a process's pool, so one company's flood cannot take it all.

    A share lives while a request holds or waits for it (weakly kept), so idle companies cost nothing.
    """

    def __init__(self, limit: int, timeout_s: float) -> None:
        self._limit = limit
        self._timeout_s = timeout_s
        self._shares: weakref.WeakValueDictionary[str, ConnectionShare] = weakref.WeakValueDictionary()

    def share_of(self, subject: str) -> ConnectionShare:
        share = self._shares.get(subject)
        if share is None:
            share = ConnectionShare(
                self._limit, self._timeout_s, lambda: TooManyInFlight("database connections", self._limit)
            )
            self._shares[subject] = share
        return share


def company_share_limit(pool_connections: int, share: float) -> int:
    """Connections one company may hold in a process: its share of the pool, and always at least one."""
    return max(1, math.floor(pool_connections * share))


def patient_with(parameter: str) -> dict[str, Any]:
    """The ``opt`` of a route whose query ``parameter`` (seconds) is also how long it may wait for a connection."""
    return {PATIENCE_OPT: parameter}


def patience_s(connection: ASGIConnection[Any, Any, Any, Any]) -> float:
    """Seconds the request may wait for a connection beyond the pool's own timeout (0 unless its route says)."""
    parameter = connection.route_handler.opt.get(PATIENCE_OPT)
    if not isinstance(parameter, str):
        return 0.0
    try:
        seconds = float(connection.query_params.get(parameter, 0))
    except ValueError:
        return 0.0  # the handler refuses it with a 422 naming the parameter
    return min(max(seconds, 0.0), MAX_PATIENCE_S) if math.isfinite(seconds) else 0.0


def write_share_limit(pool_connections: int, reserved_for_reads: int) -> int:
    """Connections writes may hold: the pool's, less the reads' reserve, and always at least one."""
    return max(1, pool_connections - reserved_for_reads)


class RequestDatabase:
    """The request's connection and session, both opened on first use."""

    __slots__ = ("_connection", "_engine", "_held", "_patient_until", "_session", "_sessions", "_shares")

    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        share: ConnectionShare | None = None,
        patience_s: float = 0.0,
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._shares = [share] if share is not None else []
        self._patient_until = time.monotonic() + patience_s
        self._held: list[ConnectionShare] = []
        self._connection: AsyncConnection | None = None
        self._session: AsyncSession | None = None

    async def also_within(self, share: ConnectionShare) -> None:
        """Count the request's connection in ``share`` too (its company's): now if it is open, else when it opens.

        It is taken first: a company beyond its share waits in its own line without holding a place of the shares
        every company uses.
        """
        self._shares.insert(0, share)
        if self._connection is not None:
            await share.acquire()
            self._held.append(share)

    async def session(self) -> AsyncSession:
        if self._session is None:
            try:
                for share in self._shares:
                    if share not in self._held:
                        await share.acquire()
                        self._held.append(share)
                self._connection = await self._connect()
            except BaseException:
                self._release_shares()
                raise
            # Bound to the connection: commits end the transaction but keep the connection for the next one.
            self._session = self._sessions(bind=self._connection)
        return self._session

    async def _connect(self) -> AsyncConnection:
        """A pooled connection; a patient request asks again while its patience lasts."""
        while True:
            try:
                return await self._engine.connect()
            except PoolTimeout:
                if time.monotonic() >= self._patient_until:
                    raise
                log.debug("every connection is busy; a patient request asks again")

    def _release_shares(self) -> None:
        while self._held:
            self._held.pop().release()

    async def close(self) -> None:
        """Roll back whatever was not committed and return the connection to the pool (the next use reopens)."""
        session, connection = self._session, self._connection
        self._session = self._connection = None
        try:
            if session is not None:
                await session.close()
        finally:
            try:
                if connection is not None:
                    await connection.close()
            finally:
                self._release_shares()


def request_database(connection: ASGIConnection[Any, Any, Any, Any]) -> RequestDatabase:
    """The request's database, not yet connected if nothing used it (a long-poll closes and reopens it)."""
    scope_state: dict[str, Any] = connection.scope["state"]
    database = scope_state.get(STATE_KEY)
    if database is None:
        state = connection.app.state
        share = None if connection.scope.get("method") in SAFE_METHODS else state.write_share
        database = RequestDatabase(state.engine, state.sessions, share, patience_s(connection))
        scope_state[STATE_KEY] = database
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
