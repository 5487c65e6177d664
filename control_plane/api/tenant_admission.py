"""Per-company admission before a request takes a database connection (REQ-API-6).

A company's flood must be refused without costing other companies anything, so
the guard admits a request in Redis (its company's rate and requests in flight,
one round trip) before the request's database connection is opened, and the
connection then counts in its company's share of the pool.

For a JWT the company is in the token. For an API key, the company is what the
key was found to belong to the last time this process authenticated it
(:class:`KnownCredentials`); the key is still authenticated against the
database on every request, so a revoked key is refused at once. A key this
process has not seen yet is authenticated first, one request per key at a
time and a few keys at a time, so a flood of a new key waits for its first
request and a flood of made-up keys holds only a few connections.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from control_plane.api.request_db import CompanyShares, request_database
from control_plane.domain.limits import api_limit_subject
from control_plane.domain.principals import Principal
from control_plane.services.limits import AdmissionTicket, ApiAdmission

TICKET_KEY = "_icp_admission_ticket"
UNKNOWN_KEYS_AT_ONCE = 2
"""Keys a process authenticates at once before knowing their company: what a flood of made-up keys may hold."""

Connection = ASGIConnection[Any, Any, Any, Any]


class KnownCredentials:
    """Key hash → the principal it was last authenticated as, for the admission decision only (bounded, LRU)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._known: OrderedDict[str, Principal] = OrderedDict()
        self._learning: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._unknown_at_once = asyncio.Semaphore(UNKNOWN_KEYS_AT_ONCE)

    def get(self, key_hash: str) -> Principal | None:
        principal = self._known.get(key_hash)
        if principal is not None:
            self._known.move_to_end(key_hash)
        return principal

    def learn(self, key_hash: str, principal: Principal) -> None:
        self._known[key_hash] = principal
        self._known.move_to_end(key_hash)
        while len(self._known) > self._capacity:
            self._known.popitem(last=False)

    def forget(self, key_hash: str) -> None:
        self._known.pop(key_hash, None)

    def learning(self, key_hash: str) -> asyncio.Lock:
        """The lock one key's first authentication is done under (its concurrent requests wait for it)."""
        lock = self._learning.get(key_hash)
        if lock is None:
            lock = self._learning[key_hash] = asyncio.Lock()
        return lock

    @property
    def unknown_at_once(self) -> asyncio.Semaphore:
        return self._unknown_at_once


class TenantAdmission:
    """The app's admission parts: Redis admission, each company's pool share, the known credentials."""

    def __init__(self, admission: ApiAdmission, shares: CompanyShares) -> None:
        self.admission = admission
        self.shares = shares
        self.credentials = KnownCredentials()

    async def admit(self, connection: Connection, principal: Principal) -> None:
        """Admit the request for ``principal``'s company and count its connection in the company's share.

        Raises :class:`~control_plane.domain.limits.RateLimitExceeded` (a 429 with Retry-After) when refused.
        """
        ticket = await self.admission.admit(principal)
        if ticket is not None:
            connection.scope["state"][TICKET_KEY] = ticket
        await request_database(connection).also_within(self.shares.share_of(api_limit_subject(principal)))


def tenant_admission(connection: Connection) -> TenantAdmission:
    admission = connection.app.state.tenant_admission
    assert isinstance(admission, TenantAdmission)
    return admission


class ReleaseAdmission(ASGIMiddleware):
    """Gives the request's place among its company's requests in flight back once it is answered, errors included."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        try:
            await next_app(scope, receive, send)
        finally:
            ticket = scope.get("state", {}).get(TICKET_KEY)
            if isinstance(ticket, AdmissionTicket):
                await scope["app"].state.tenant_admission.admission.release(ticket)
