"""The local worker-pool supervisor's decision and its application, without starting processes."""

from __future__ import annotations

import pytest

from harness.stack.supervisor import Pool, ScalePlan, describe, plan, reconcile


@pytest.mark.parametrize(
    ("desired", "running", "start", "stop"),
    [
        (3, [1], [2, 3], []),  # scale out into the lowest free indices
        (3, [1, 4], [2], []),
        (1, [1, 2, 3], [], [3, 2]),  # scale in, highest first
        (9, [1], [2, 3, 4], []),  # clamped to the local maximum (4)
        (0, [1, 2], [], [2]),  # clamped to the local minimum (1)
        (None, [1, 2], [], []),  # no answer yet: keep the pool
        (None, [], [1], []),  # ... but never below the minimum
        (2, [1, 2], [], []),
    ],
)
def test_plan(desired: int | None, running: list[int], start: list[int], stop: list[int]) -> None:
    decided = plan(desired, running, minimum=1, maximum=4)
    assert (decided.start, decided.stop) == (start, stop)
    assert decided.target == len(running) + len(start) - len(stop)


def test_reconcile_stops_then_starts_through_the_pool() -> None:
    alive = {1, 2, 3}
    calls: list[str] = []

    def start(index: int) -> None:
        calls.append(f"start {index}")
        alive.add(index)

    def stop(index: int) -> None:
        calls.append(f"stop {index}")
        alive.discard(index)

    pool = Pool(lambda: sorted(alive), start, stop)
    assert reconcile(pool, 1, 1, 4) == ScalePlan(1, 1, [], [3, 2])
    assert reconcile(pool, 2, 1, 4).start == [2]
    assert calls == ["stop 3", "stop 2", "start 2"] and alive == {1, 2}
    assert describe(reconcile(pool, None, 1, 4)) == "desired -, target 2: no change"
