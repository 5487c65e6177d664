"""PNG charts of a load run (matplotlib, no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from loadtests.load.chaos_plan import FaultWindow
from loadtests.load.plan import Outcome
from loadtests.load.sampler import Sample
from loadtests.load.timeline import in_flight_curve, per_bucket, percentile

TIER_LEVEL = {"HEALTHY": 0, "DEGRADED": 1, "CRITICAL": 2, "OVERLOAD": 3}
BUCKET_S = 30.0


def _save(figure: Figure, folder: Path, name: str) -> str:
    figure.tight_layout()
    figure.savefig(folder / name, dpi=110)
    plt.close(figure)
    return name


def in_flight_chart(outcomes: Sequence[Outcome], samples: Sequence[Sample], origin: float) -> Figure:
    figure, axis = plt.subplots(figsize=(9, 4))
    curve = in_flight_curve(outcomes, origin)
    axis.step(
        [t / 60 for t, _ in curve], [n for _, n in curve], where="post", label="accepted, not yet terminal (vendors)"
    )
    axis.plot(
        [s.t / 60 for s in samples], [s.in_flight for s in samples], ".", ms=3, label="non-terminal rows (PostgreSQL)"
    )
    axis.set(title="In-flight import jobs", xlabel="minutes since start", ylabel="jobs")
    axis.grid(alpha=0.3)
    axis.legend(loc="upper right")
    return figure


def queue_chart(samples: Sequence[Sample]) -> Figure:
    figure, depth_axis = plt.subplots(figsize=(9, 4))
    minutes = [s.t / 60 for s in samples]
    depth_axis.plot(minutes, [s.depth if s.depth is not None else float("nan") for s in samples], label="queue depth")
    running = [s.statuses.get("RUNNING", 0) for s in samples]
    depth_axis.plot(minutes, running, label="RUNNING jobs")
    depth_axis.set(title="Queue depth and tier", xlabel="minutes since start", ylabel="jobs")
    depth_axis.grid(alpha=0.3)
    tier_axis = depth_axis.twinx()
    tiers = [TIER_LEVEL.get((s.tier or "").upper(), float("nan")) for s in samples]
    tier_axis.step(minutes, tiers, where="post", color="tab:red", alpha=0.6, label="tier")
    tier_axis.set_yticks(list(TIER_LEVEL.values()), [name.title() for name in TIER_LEVEL])
    tier_axis.set_ylim(-0.5, 3.5)
    lines = depth_axis.get_legend_handles_labels()
    tier_lines = tier_axis.get_legend_handles_labels()
    depth_axis.legend(lines[0] + tier_lines[0], lines[1] + tier_lines[1], loc="upper right")
    return figure


def latency_chart(outcomes: Sequence[Outcome], origin: float) -> Figure:
    figure, axis = plt.subplots(figsize=(9, 4))
    ended = sorted((o for o in outcomes if o.terminal_at is not None), key=lambda o: o.terminal_at or 0.0)
    slots: dict[int, list[float]] = {}
    for outcome in ended:
        assert outcome.terminal_at is not None
        slots.setdefault(int((outcome.terminal_at - origin) // BUCKET_S), []).append(
            outcome.terminal_at - outcome.submitted_at
        )
    xs = [slot * BUCKET_S / 60 for slot in sorted(slots)]
    for q in (50, 95, 99):
        axis.plot(xs, [(percentile(slots[s], q) or 0) / 60 for s in sorted(slots)], marker=".", label=f"p{q}")
    axis.axhline(5, color="tab:red", linestyle="--", label="SLO: 5 min")
    axis.set(title=f"Submit-to-terminal latency of jobs ending in each {int(BUCKET_S)} s", xlabel="minutes since start")
    axis.set_ylabel("minutes")
    axis.grid(alpha=0.3)
    axis.legend(loc="upper left")
    return figure


def throughput_chart(outcomes: Sequence[Outcome], origin: float) -> Figure:
    figure, axis = plt.subplots(figsize=(9, 4))
    buckets = per_bucket(outcomes, origin, BUCKET_S)
    xs = [start / 60 for start, _, _ in buckets]
    per_minute = 60 / BUCKET_S
    axis.bar(xs, [ok * per_minute for _, ok, _ in buckets], width=BUCKET_S / 60 * 0.9, align="edge", label="completed")
    axis.bar(
        xs,
        [bad * per_minute for _, _, bad in buckets],
        bottom=[ok * per_minute for _, ok, _ in buckets],
        width=BUCKET_S / 60 * 0.9,
        align="edge",
        color="tab:red",
        label="failed / cancelled",
    )
    axis.set(title="Throughput: jobs ending per minute", xlabel="minutes since start", ylabel="jobs / min")
    axis.grid(alpha=0.3)
    axis.legend(loc="upper right")
    return figure


def success_chart(outcomes: Sequence[Outcome], origin: float) -> Figure:
    figure, axis = plt.subplots(figsize=(9, 4))
    ok = total = 0
    xs, ys = [], []
    for start, good, bad in per_bucket(outcomes, origin, BUCKET_S):
        ok, total = ok + good, total + good + bad
        xs.append((start + BUCKET_S) / 60)
        ys.append(100 * ok / total)
    axis.plot(xs, ys, marker=".", label="cumulative success rate")
    axis.axhline(99, color="tab:red", linestyle="--", label="SLO: 99%")
    axis.set(title="Success rate", xlabel="minutes since start", ylabel="% of ended jobs completed")
    axis.set_ylim(min([90.0, *ys]) - 1, 100.5)
    axis.grid(alpha=0.3)
    axis.legend(loc="lower left")
    return figure


def mark_faults(figure: Figure, faults: Sequence[FaultWindow]) -> None:
    """Shade each injected fault's span on the time axis of ``figure`` and name it at the top."""
    axis = figure.axes[0]
    for fault in faults:
        if fault.injected_at is None:
            continue
        start, end = fault.injected_at / 60, (fault.lifted_at or fault.injected_at) / 60
        axis.axvspan(start, max(end, start + 0.05), color="tab:purple", alpha=0.15)
        axis.annotate(fault.kind, (start, 1.0), xycoords=("data", "axes fraction"), rotation=90, va="top", fontsize=7)


def draw_all(
    folder: Path,
    outcomes: Sequence[Outcome],
    samples: Sequence[Sample],
    origin: float,
    faults: Sequence[FaultWindow] = (),
) -> list[str]:
    """Every chart, saved in ``folder``; with ``faults`` (a chaos run) each shades when each fault was on."""
    charts = {
        "in_flight.png": in_flight_chart(outcomes, samples, origin),
        "queue_tier.png": queue_chart(samples),
        "latency.png": latency_chart(outcomes, origin),
        "throughput.png": throughput_chart(outcomes, origin),
        "success_rate.png": success_chart(outcomes, origin),
    }
    for figure in charts.values():
        mark_faults(figure, faults)
    return [_save(figure, folder, name) for name, figure in charts.items()]
