"""Wire shapes of the operator controls."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from control_plane.db.models import OpsAction
from control_plane.domain.backpressure import Decision
from control_plane.domain.pausing import Pause
from control_plane.domain.providers import Provider

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class PauseRequest(msgspec.Struct, forbid_unknown_fields=True):
    scope: Literal["queue", "provider", "company"]
    reason: Reason
    target: str | None = None
    """A provider name (``shopify``) or a company id; none for the whole queue."""


class DrainRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class Draining(msgspec.Struct):
    worker_id: str
    message: str


class RetryDeadRequest(msgspec.Struct, forbid_unknown_fields=True):
    company_id: uuid.UUID | None = None
    provider: Provider | None = None


class PauseOut(msgspec.Struct):
    scope: str
    target: str | None
    key: str
    reason: str
    actor: str
    at: str

    @classmethod
    def of(cls, pause: Pause) -> PauseOut:
        where = pause.target
        return cls(where.scope.value, where.target, where.key, pause.reason, pause.actor, pause.at)


class Resumed(msgspec.Struct):
    key: str
    was_paused: bool
    requeued: int


class RetriedDead(msgspec.Struct):
    retried: int
    enqueued: int


class AdmissionOut(msgspec.Struct):
    outcome: str
    reason: str
    defer_s: int
    retry_after_s: int | None

    @classmethod
    def of(cls, decision: Decision) -> AdmissionOut:
        return cls(decision.outcome.value, decision.reason, decision.defer_s, decision.retry_after_s)


class OpsState(msgspec.Struct):
    tier: str
    depth: int
    depth_source: str
    thresholds: dict[str, int]
    admission: dict[str, AdmissionOut]
    paused: list[PauseOut]
    admissions_today: dict[str, int]


class Action(msgspec.Struct):
    id: int
    at: datetime
    actor: str
    action: str
    scope: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, row: OpsAction) -> Action:
        return cls(row.id, row.at, row.actor, row.action, row.scope, row.details)


class ActionList(msgspec.Struct):
    items: list[Action]
