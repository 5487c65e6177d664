"""The run's shape: ramp to the target number of vendors, each holding one job in flight, until all are done."""

from __future__ import annotations

import math

from locust import LoadTestShape

from loadtests.load.scenario import Tracker


class RampToInFlight(LoadTestShape):
    """Ramp at ``spawn_rate`` to ``concurrency`` users (one in-flight job each); stop once every job ended.

    The run also stops at the plan's ``run_time_s``: bounded, whatever happens to the stack.
    """

    abstract = True
    tracker: Tracker

    def tick(self) -> tuple[int, float] | None:
        plan = self.tracker.plan
        elapsed: float = self.get_run_time()  # type: ignore[no-untyped-call]
        if self.tracker.all_done or elapsed > plan.run_time_s:
            return None
        users = min(plan.concurrency, len(plan.jobs))
        ramped = min(users, math.ceil(elapsed * plan.spawn_rate) + 1)
        return ramped, plan.spawn_rate
