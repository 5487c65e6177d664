"""Bulk query operations, as Shopify's bulk-operations guide documents them.

Documented rules (https://shopify.dev/docs/api/usage/bulk-operations/queries):
the inner query selects one top-level connection; nested connections are
allowed (at most five connections, nested at most two levels deep) and every
nested object is its own JSONL line carrying ``__parentId``; API versions
2026-01 and later run up to five bulk queries per shop at a time, older ones
one (another one is a ``userError``); an operation moves CREATED → RUNNING →
COMPLETED (or FAILED with an ``errorCode``, or CANCELED) and its result URL
stops working after a while (status EXPIRED).  The schedule and the outcome
of the next operation are scripted through ``/_sim/.../next-bulk-operation``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from loadtests.simulator.catalog import Catalog

CONCURRENT_SINCE = "2026-01"
CONCURRENT_LIMIT = 5
"""Bulk queries per shop at a time from API version 2026-01 on; one before."""
_IDS = itertools.count(1)
BULK_ID_BASE = 4_000_000_000


class Outcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"


class Status(StrEnum):
    CREATED = "CREATED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"


FINAL_STATUS = {
    Outcome.COMPLETED: Status.COMPLETED,
    Outcome.FAILED: Status.FAILED,
    Outcome.CANCELED: Status.CANCELED,
    Outcome.EXPIRED: Status.EXPIRED,
}


@dataclass(frozen=True)
class Script:
    """How an operation will behave: its outcome and schedule (seconds)."""

    outcome: Outcome = Outcome.COMPLETED
    error_code: str = "INTERNAL_SERVER_ERROR"
    queued_s: float = 1.0
    running_s: float = 2.0
    expires_after_s: float = 7 * 86400.0
    """Shopify keeps results for seven days after completion."""


@dataclass
class Operation:
    """One bulk query: what it reads (a catalog snapshot), its script, and its file once built."""

    number: int
    query: str
    catalog: Catalog
    script: Script
    created_at: datetime
    jsonl: bytes | None = None
    object_count: int = 0
    root_object_count: int = 0

    @property
    def gid(self) -> str:
        return f"gid://shopify/BulkOperation/{BULK_ID_BASE + self.number}"

    @property
    def completed_at(self) -> datetime:
        return self.created_at + timedelta(seconds=self.script.queued_s + self.script.running_s)

    def status(self, now: datetime) -> Status:
        if now < self.created_at + timedelta(seconds=self.script.queued_s):
            return Status.CREATED
        if now < self.completed_at:
            return Status.RUNNING
        if self.script.outcome is Outcome.COMPLETED and now >= self.completed_at + self._expiry:
            return Status.EXPIRED
        return FINAL_STATUS[self.script.outcome]

    @property
    def _expiry(self) -> timedelta:
        return timedelta(seconds=self.script.expires_after_s)

    def in_progress(self, now: datetime) -> bool:
        return self.status(now) in (Status.CREATED, Status.RUNNING)


@dataclass
class BulkState:
    """One shop's bulk operations (newest last) and the script for the next one."""

    operations: list[Operation] = field(default_factory=list)
    next_script: Script | None = None
    refused: int = 0

    def limit(self, version: str) -> int:
        return CONCURRENT_LIMIT if version >= CONCURRENT_SINCE else 1

    def running(self, now: datetime) -> list[Operation]:
        return [op for op in self.operations if op.in_progress(now)]

    def start(self, query: str, catalog: Catalog, now: datetime) -> Operation:
        script, self.next_script = self.next_script or Script(), None
        operation = Operation(next(_IDS), query, catalog, script, now)
        self.operations.append(operation)
        return operation

    def find(self, gid: str) -> Operation | None:
        return next((op for op in self.operations if op.gid == gid), None)

    def by_number(self, number: int) -> Operation | None:
        return next((op for op in self.operations if op.number == number), None)

    def counters(self, now: datetime) -> dict[str, int]:
        counts = {"started": len(self.operations), "refused": self.refused}
        for status in Status:
            counts[status.value.lower()] = 0
        for op in self.operations:
            counts[op.status(now).value.lower()] += 1
        return counts


def file_path(shop: str, operation: Operation) -> str:
    return f"/_sim/bulk/{shop}/{operation.number}.jsonl"


def view(operation: Operation, now: datetime, base: str, shop: str) -> dict[str, Any]:
    """The operation as a ``BulkOperation`` object."""
    status = operation.status(now)
    finished = status not in (Status.CREATED, Status.RUNNING)
    has_file = status is Status.COMPLETED and operation.jsonl is not None
    return {
        "__typename": "BulkOperation",
        "id": operation.gid,
        "status": status.value,
        "errorCode": operation.script.error_code if status is Status.FAILED else None,
        "type": "QUERY",
        "objectCount": str(operation.object_count if finished else 0),
        "rootObjectCount": str(operation.root_object_count if finished else 0),
        "fileSize": str(len(operation.jsonl)) if has_file and operation.jsonl is not None else None,
        "url": base + file_path(shop, operation) if has_file else None,
        "partialDataUrl": None,
        "query": operation.query,
        "createdAt": operation.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "completedAt": operation.completed_at.strftime("%Y-%m-%dT%H:%M:%SZ") if finished else None,
    }
