"""Readiness names a dependency that answers, but slowly: the API stays ready and says it is degraded."""

from __future__ import annotations

import time

from control_plane.services.health import SLOW_MS, _answered


def test_a_quick_answer_is_ok() -> None:
    check = _answered("redis", time.monotonic())
    assert check.ok and not check.slow and check.detail == "ok"


def test_an_answer_slower_than_its_dependencys_bound_is_named_slow() -> None:
    started = time.monotonic() - (SLOW_MS["redis"] + 50) / 1000
    check = _answered("redis", started)
    assert check.ok and check.slow
    assert check.detail.startswith("slow: ") and check.detail.endswith(f"(> {SLOW_MS['redis']:g} ms)")


def test_the_database_has_its_own_bound() -> None:
    between = time.monotonic() - (SLOW_MS["redis"] + SLOW_MS["database"]) / 2 / 1000
    assert _answered("redis", between).slow
    assert not _answered("database", between).slow
