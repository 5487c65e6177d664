"""A seeded workload: imports submitted through the real API, each with its own Idempotency-Key.

It behaves like a well-mannered client: a 503 (or a refused connection) is
retried with the *same* key after the advertised Retry-After, so a job is
created at most once however often the request is repeated.  Everything it
saw is kept, so the invariants can account for every job the API accepted.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from chaos.env import Tenant
from chaos.model import Check

IMPORTS = "/api/v1/imports"


@dataclass(frozen=True)
class WorkloadSpec:
    jobs: int
    """Imports to submit over the run."""
    interval_s: float
    """Mean gap between submissions (exponentially distributed, seeded)."""
    seed: int
    give_up_after_s: float = 120.0
    """How long a client keeps retrying one submission before it reports it as not accepted."""


@dataclass
class WorkloadResult:
    accepted: dict[str, uuid.UUID] = field(default_factory=dict)
    """Idempotency-Key -> job id, for every submission the API accepted (202, or 200 on replay)."""
    not_accepted: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    """HTTP status (or transport error name) of every request made, retries included."""
    first_503_at: float | None = None
    """Monotonic time of the first honest 503 (the API's own fault detection, seen by a client)."""
    honest_errors: int = 0
    """5xx answers that were JSON problem bodies naming the cause."""
    dishonest_errors: int = 0
    """500s, or 5xx without a problem body: never acceptable."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": len(self.accepted),
            "not_accepted": len(self.not_accepted),
            "statuses": dict(sorted(self.statuses.items())),
            "honest_5xx": self.honest_errors,
            "dishonest_5xx": self.dishonest_errors,
        }


def submissions_check(result: WorkloadResult) -> Check:
    """Every submission was accepted in the end: the drill's client retries 429 and 5xx, so a refusal for good,
    or a submission still refused when the client gave up, is a fail, named."""
    refused = result.not_accepted
    return Check(
        "submissions not accepted",
        not refused,
        len(refused),
        0,
        ", ".join(refused[:5]) or f"{len(result.accepted)} accepted",
    )


class WorkloadDriver:
    def __init__(self, api: httpx.AsyncClient, tenant: Tenant, spec: WorkloadSpec, run_id: str) -> None:
        self._api = api
        self._tenant = tenant
        self._spec = spec
        self._run_id = run_id
        self._random = random.Random(spec.seed)
        self._canaries = 0
        self.result = WorkloadResult()

    async def run(self) -> WorkloadResult:
        """Submit every job on its seeded schedule; submissions retry concurrently with the next ones."""
        pending = []
        for index in range(self._spec.jobs):
            include_images = self._random.random() < 0.7
            pending.append(asyncio.create_task(self._submit(index, include_images)))
            await asyncio.sleep(self._random.expovariate(1.0 / self._spec.interval_s))
        await asyncio.gather(*pending)
        return self.result

    async def submit_canary(self) -> str:
        """One more job, submitted now (after a fault was lifted), retried like the others; its Idempotency-Key.

        Recovery is timed until a job submitted after the fault has started, so the new job is
        accounted for like every other (it lands in :attr:`WorkloadResult.accepted`).
        """
        self._canaries += 1
        index = f"canary-{self._canaries}"
        await self._submit(index, include_images=False)
        return f"chaos-{self._run_id}-{self._spec.seed}-{index}"

    async def _submit(self, index: int | str, include_images: bool) -> None:
        key = f"chaos-{self._run_id}-{self._spec.seed}-{index}"
        body = {"integration_id": str(self._tenant.integration_id), "options": {"include_images": include_images}}
        headers = {"Authorization": f"Bearer {self._tenant.key}", "Idempotency-Key": key}
        deadline = time.monotonic() + self._spec.give_up_after_s
        while time.monotonic() < deadline:
            wait = await self._attempt(key, body, headers)
            if wait is None:
                return
            await asyncio.sleep(min(wait, max(0.0, deadline - time.monotonic())))
        self.result.not_accepted.append(key)

    async def _attempt(self, key: str, body: dict[str, Any], headers: dict[str, str]) -> float | None:
        """One request; None when settled (accepted, or refused for good), else seconds to wait."""
        try:
            response = await self._api.post(IMPORTS, json=body, headers=headers, timeout=15.0)
        except httpx.TransportError as exc:
            self.result.statuses[type(exc).__name__] += 1
            return 1.0
        self.result.statuses[str(response.status_code)] += 1
        if response.status_code in (200, 202):
            self.result.accepted[key] = uuid.UUID(response.json()["job"]["id"])
            return None
        if response.status_code >= 500:
            self._judge_error(response)
            return float(response.headers.get("Retry-After") or 1.0)
        if response.status_code == 429:
            return float(response.headers.get("Retry-After") or 1.0)
        self.result.not_accepted.append(key)
        return None

    def _judge_error(self, response: httpx.Response) -> None:
        is_problem = response.headers.get("content-type", "").startswith("application/problem+json")
        if response.status_code == 503 and self.result.first_503_at is None:
            self.result.first_503_at = time.monotonic()
        if response.status_code == 500 or not is_problem:
            self.result.dishonest_errors += 1
        else:
            self.result.honest_errors += 1
