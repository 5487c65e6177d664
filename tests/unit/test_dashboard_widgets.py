"""Figures and runbooks read as a person expects on the dashboard (no I/O)."""

from __future__ import annotations

from dashboard.widgets import figure, without_comments


def test_a_measured_ratio_is_shown_to_four_significant_digits() -> None:
    assert figure(0.6041025641025641) == "0.6041"
    assert figure(1234.5678) == "1235"
    assert figure(3) == "3" and figure("< 60") == "< 60" and figure(None) == "—"


def test_a_runbooks_editor_comments_are_not_rendered() -> None:
    text = "## Drill results\n\n<!-- Filled from the reports:\nnever by hand. -->\n\nGame day `x`: pass\n"
    assert without_comments(text) == "## Drill results\n\nGame day `x`: pass\n"
