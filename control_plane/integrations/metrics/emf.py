"""CloudWatch Embedded Metric Format: key figures as one JSON log line CloudWatch turns into metrics.

Written to stdout, one line per evaluation, so the CloudWatch agent (or Lambda
/ ECS log drivers) extract the metrics without any API call from here.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from control_plane.domain.ops import OpsFigures

NAMESPACE = "ImportControlPlane"


def emf_figures(figures: OpsFigures, desired_workers: int | None) -> dict[str, tuple[float, str]]:
    """Metric name to (value, CloudWatch unit); figures that are unknown are left out."""
    values: dict[str, tuple[float, str]] = {
        "QueueDepth": (figures.queue_depth, "Count"),
        "QueueWaiting": (figures.waiting, "Count"),
        "JobsRunning": (figures.active, "Count"),
        "JobsFailedTotal": (figures.dead, "Count"),
        "LiveWorkers": (figures.live_workers, "Count"),
        "OldestWaitingAge": (figures.oldest_waiting_age_s or 0.0, "Seconds"),
    }
    if figures.success_rate is not None:
        values["SuccessRate"] = (figures.success_rate, "None")
    if figures.provider.error_ratio is not None:
        values["ProviderErrorRatio"] = (figures.provider.error_ratio, "None")
    if desired_workers is not None:
        values["DesiredWorkers"] = (desired_workers, "Count")
    return values


def emf_line(figures: OpsFigures, *, desired_workers: int | None, timestamp_ms: int, service: str) -> str:
    """One EMF document: the ``_aws`` metadata plus each metric as a top-level member."""
    values = emf_figures(figures, desired_workers)
    document: dict[str, object] = {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [["Service"]],
                    "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in values.items()],
                }
            ],
        },
        "Service": service,
        **{name: value for name, (value, _) in values.items()},
    }
    return json.dumps(document, separators=(",", ":"))


def write_emf(line: str, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    out.write(line + "\n")
    out.flush()
