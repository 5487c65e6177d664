"""Locust entry point of the load harness; the behaviour lives in :mod:`loadtests.load`.

Run it through ``importctl load run`` (or ``make load``), which prepares the
vendors and writes the plan this file reads (``ICP_LOAD_PLAN_FILE``).
"""

from __future__ import annotations

from harness.settings import LoadSettings
from loadtests.load.plan import Plan
from loadtests.load.scenario import Tracker, Vendor
from loadtests.load.shape import RampToInFlight

_plan_file = LoadSettings().plan_file
if _plan_file is None:
    raise SystemExit("ICP_LOAD_PLAN_FILE is not set: start load runs with `importctl load run`")
_tracker = Tracker(Plan.read(_plan_file))


class ImportingVendor(Vendor):
    tracker = _tracker
    host = _tracker.plan.api


class Shape(RampToInFlight):
    tracker = _tracker
