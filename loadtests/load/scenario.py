"""What one simulated vendor does: submit its import with an idempotency key, then wait for it to end.

The vendor waits with long-polls (``GET /api/v1/imports/{id}?wait=…&status=<last seen>``): each answers
when the job moved or after ``WAIT_S``, so there is no poll loop.  A status read that fails is counted
as a failure in locust's stats and retried after a pause that grows like a polling client's.

Submit-to-terminal latency is fired as its own locust request type (``JOB``),
so it lands in locust's statistics and CSV next to the HTTP calls.  Every
locust user takes the next job of the plan; once the plan is exhausted users
idle until the shape stops the run.
"""

from __future__ import annotations

import random
import time
from collections import deque
from pathlib import Path
from typing import Any

import gevent  # type: ignore[import-untyped]
from locust import FastHttpUser, constant, task

from loadtests.load.plan import Outcome, Plan, PlannedJob

TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
RETRYABLE_SUBMIT = frozenset({0, 429, 502, 503, 504})
SMALL_LIMIT = 100
SUBMIT_GIVE_UP_S = 600.0
POLL_GROWTH = 1.5
WAIT_S = 25
"""How long one status read may wait for the job to move: well inside the client's network timeout."""
WAIT_NAME = "GET /api/v1/imports/[id]?wait"
BACKOFF_CAP_S = 30.0


class JobFailed(Exception):
    """A job that ended FAILED or CANCELLED, or could not be submitted: a failure in locust's stats."""


class Tracker:
    """The plan's jobs, handed out one at a time, and how many reached an outcome."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._waiting: deque[PlannedJob] = deque(plan.jobs)
        self.finished = 0
        self._results = Path(plan.results_file)

    def take(self) -> PlannedJob | None:
        return self._waiting.popleft() if self._waiting else None

    def record(self, outcome: Outcome) -> None:
        self.finished += 1
        with self._results.open("a", encoding="utf-8") as out:
            out.write(outcome.line())

    @property
    def all_done(self) -> bool:
        return self.finished >= len(self.plan.jobs)


def latency_name(products: int) -> str:
    return "submit-to-terminal <100 products" if products < SMALL_LIMIT else "submit-to-terminal >=100 products"


class Vendor(FastHttpUser):
    """A vendor of the plan; ``tracker`` is set by the locustfile before users start."""

    abstract = True
    tracker: Tracker
    wait_time = constant(0)
    network_timeout = 60.0
    connection_timeout = 30.0

    @task
    def import_once(self) -> None:
        job = self.tracker.take()
        if job is None:
            gevent.sleep(1.0)
            return
        started = time.time()
        job_id: str | None = None
        try:
            accepted, error = self._submit(job)
            if accepted is None:
                self._finish(job, None, "NOT_ACCEPTED", started, error)
                return
            job_id = str(accepted["id"])
            status = self._wait(job_id, job.key, str(accepted["status"]), started)
        except Exception as exc:  # a harness bug must never drop a job from the accounting silently
            self._finish(job, job_id, "HARNESS_ERROR", started, repr(exc))
            raise
        self._finish(job, job_id, status, started, None if status == "COMPLETED" else status)

    def _submit(self, job: PlannedJob) -> tuple[dict[str, Any] | None, str | None]:
        """POST with the job's idempotency key, repeated on overload or lost connections (safe: same key)."""
        headers = {"Authorization": f"Bearer {job.key}", "Idempotency-Key": job.idempotency_key}
        body = {"integration_id": job.integration_id, "options": {}, "correlation_id": f"load-{job.index}"}
        deadline = time.monotonic() + SUBMIT_GIVE_UP_S
        attempt = 0
        while True:
            with self.client.post(
                "/api/v1/imports", json=body, headers=headers, name="POST /api/v1/imports", catch_response=True
            ) as response:
                if response.status_code in (200, 202):
                    accepted: dict[str, Any] = response.json()["job"]
                    return accepted, None
                error = f"{response.status_code}: {(response.text or '')[:200]}"
                if response.status_code not in RETRYABLE_SUBMIT or time.monotonic() > deadline:
                    response.failure(error)
                    return None, error
                response.success()  # overload answers are expected under load; the retry is the test
            attempt += 1
            gevent.sleep(backoff_s(attempt, response.headers))

    def _wait(self, job_id: str, key: str, status: str, started: float) -> str:
        """Long-poll the job on the last status seen until it is terminal; failed reads are retried after a pause.

        The pause after a failure grows from poll_interval_s to poll_max_s (never under ``Retry-After``).
        """
        plan = self.tracker.plan
        limit = started + plan.run_time_s
        auth = {"Authorization": f"Bearer {key}"}
        pause = plan.poll_interval_s
        while time.time() < limit:
            with self.client.get(
                f"/api/v1/imports/{job_id}?wait={WAIT_S}&status={status}",
                headers=auth,
                name=WAIT_NAME,
                catch_response=True,
            ) as response:
                answered = response.status_code == 200
                if answered:
                    status = str(response.json()["status"])
                else:
                    response.failure(f"{response.status_code}")
            if not answered:
                gevent.sleep(max(_retry_after(response.headers), random.uniform(0.8, 1.2) * pause))
                pause = min(pause * POLL_GROWTH, plan.poll_max_s)
                continue
            pause = plan.poll_interval_s
            if status in TERMINAL:
                return status
        return "TIMED_OUT"

    def _finish(self, job: PlannedJob, job_id: str | None, status: str, started: float, error: str | None) -> None:
        ended = time.time()
        self.environment.events.request.fire(
            request_type="JOB",
            name=latency_name(job.products),
            response_time=(ended - started) * 1000,
            response_length=job.products,
            exception=JobFailed(error) if status != "COMPLETED" else None,
            context={},
        )
        terminal_at = ended if status in TERMINAL else None
        self.tracker.record(Outcome(job.index, job_id, status, job.products, started, terminal_at, error))


def backoff_s(attempt: int, headers: Any) -> float:
    """Exponential backoff with jitter, never shorter than the server's Retry-After."""
    return max(_retry_after(headers), random.uniform(0.5, 1.5) * min(BACKOFF_CAP_S, 2.0**attempt))


def _retry_after(headers: Any) -> float:
    try:
        return float(headers.get("Retry-After", "0")) if headers is not None else 0.0
    except (TypeError, ValueError):
        return 0.0
