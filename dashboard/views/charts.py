"""Turning the API's history series into chart tables."""

from __future__ import annotations

from typing import Any

import pandas as pd


def frame(points: list[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame:
    """A time-indexed table of ``columns`` (API field → label) from history points."""
    table = pd.DataFrame(points)
    if table.empty:
        return pd.DataFrame(columns=list(columns.values()))
    table["at"] = pd.to_datetime(table["at"])
    return table.set_index("at")[list(columns)].rename(columns=columns).astype(float)


def window_rate(points: list[dict[str, Any]]) -> float | None:
    completed = sum(point["completed"] for point in points)
    finished = completed + sum(point["failed"] for point in points)
    return completed / finished if finished else None
