"""Operator pauses: the whole queue, one provider or one company.

A pause stops workers from starting matching jobs (they are handed back and
deferred) while the API keeps storing new ones in PostgreSQL.  This module
only names scopes and decides which pause holds a job; the state lives in
Redis, shared by every process.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from control_plane.domain.errors import InvalidRequest
from control_plane.domain.providers import Provider

PAUSE_RECHECK_S = 30
"""How long a worker defers a paused job before looking again; resume brings waiting jobs forward at once."""


class PauseScope(StrEnum):
    QUEUE = "queue"
    PROVIDER = "provider"
    COMPANY = "company"


@dataclass(frozen=True)
class PauseTarget:
    """One pausable scope; ``key`` is how it is stored and shown (``queue``, ``provider:shopify``, ...)."""

    scope: PauseScope
    target: str | None = None

    @classmethod
    def parse(cls, scope: str, target: str | None) -> PauseTarget:
        """Validate an operator's ``scope``/``target`` pair (companies by id, providers by name)."""
        try:
            kind = PauseScope(scope)
        except ValueError as exc:
            raise InvalidRequest("scope must be queue, provider or company", field="scope") from exc
        if kind is PauseScope.QUEUE:
            return cls(kind)
        if not target:
            raise InvalidRequest(f"a {kind.value} pause needs a target", field="target")
        try:
            value = Provider(target).value if kind is PauseScope.PROVIDER else str(uuid.UUID(target))
        except ValueError as exc:
            raise InvalidRequest(f"not a valid {kind.value}: {target}", field="target") from exc
        return cls(kind, value)

    @property
    def key(self) -> str:
        return self.scope.value if self.target is None else f"{self.scope.value}:{self.target}"

    @classmethod
    def from_key(cls, key: str) -> PauseTarget:
        scope, _, target = key.partition(":")
        return cls(PauseScope(scope), target or None)


@dataclass(frozen=True)
class Pause:
    target: PauseTarget
    reason: str
    actor: str
    at: str

    def describe(self) -> str:
        return f"{self.target.key} is paused ({self.reason})"


def targets_for(company_id: uuid.UUID, provider: Provider) -> tuple[PauseTarget, ...]:
    """Every scope a job of this company and provider falls under, widest first."""
    return (
        PauseTarget(PauseScope.QUEUE),
        PauseTarget(PauseScope.PROVIDER, provider.value),
        PauseTarget(PauseScope.COMPANY, str(company_id)),
    )


def blocking(pauses: Iterable[Pause], company_id: uuid.UUID, provider: Provider) -> Pause | None:
    """The pause that holds a job of this company and provider, if any (widest scope wins)."""
    by_key = {pause.target.key: pause for pause in pauses}
    for target in targets_for(company_id, provider):
        if target.key in by_key:
            return by_key[target.key]
    return None
