"""The state one drill run shares between its injection, its observers and its checks."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chaos.env import ChaosEnv, Tenant
from chaos.model import DrillRecord
from chaos.workload import WorkloadDriver
from harness.settings.chaos import ChaosSettings


@dataclass
class DrillContext:
    env: ChaosEnv
    tenant: Tenant
    record: DrillRecord
    options: ChaosSettings
    workload: WorkloadDriver
    catalog_size: int
    canary: WorkloadDriver
    """Another vendor, whose import submitted after the restore must start: recovery for new work (not the
    drill vendor's own backlog, which its company's queue serves in order)."""
    injected_at: float | None = None
    """Monotonic time of the first injection."""
    injected_wall: datetime | None = None
    restored_at: float | None = None
    """Monotonic time the dependency came back (rollback, or the restarted process ready)."""
    restored_wall: datetime | None = None
    scratch: dict[str, Any] = field(default_factory=dict)
    """Per-drill findings (killed workers, breaker samples, ...), read by its extra checks."""

    def note(self, kind: str, what: str, **attributes: Any) -> None:
        self.record.note(datetime.now(UTC), kind, what, **attributes)

    def mark_injected(self) -> None:
        if self.injected_at is None:
            self.injected_at = time.monotonic()
            self.injected_wall = datetime.now(UTC)

    def mark_restored(self) -> None:
        self.restored_at = time.monotonic()
        self.restored_wall = datetime.now(UTC)

    @property
    def job_ids(self) -> list[uuid.UUID]:
        """Every job of the drill: the drill vendor's and the canary vendor's."""
        return [*self.workload.result.accepted.values(), *self.canary.result.accepted.values()]
