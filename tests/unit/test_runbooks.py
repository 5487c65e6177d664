"""Every alarm, SLO and chaos drill links a runbook that exists, and every runbook follows the template."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from control_plane.domain.alarms import ALARM_NAMES, runbook_path
from control_plane.services.slo import load_slos

ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = ROOT / "runbooks"
TEMPLATE = (
    "## Summary",
    "## Symptoms",
    "## Diagnosis",
    "## Mitigation",
    "## Verification",
    "## Escalation",
    "## Chaos drill",
    "## Drill results",
)


def runbook_files() -> list[Path]:
    return sorted(path for path in RUNBOOKS.glob("*.md") if path.name != "README.md")


def test_every_application_alarm_links_an_existing_runbook() -> None:
    for name in ALARM_NAMES:
        link = runbook_path(name)
        assert link == f"runbooks/{name}.md"
        assert (ROOT / link).is_file(), link


def test_every_slo_links_an_existing_runbook() -> None:
    slos = load_slos()
    assert slos
    for slo in slos:
        assert (ROOT / slo.runbook).is_file(), (slo.name, slo.runbook)


def test_every_chaos_drill_names_an_existing_runbook() -> None:
    drills = ROOT / "chaos" / "drills.py"
    if not drills.is_file():
        pytest.skip("no chaos drills yet")
    named = set(re.findall(r'"([a-z0-9-]+\.md)"', drills.read_text()))
    for name in named:
        assert (RUNBOOKS / name).is_file(), name


@pytest.mark.parametrize("path", runbook_files(), ids=lambda p: p.stem)
def test_runbook_follows_the_template(path: Path) -> None:
    text = path.read_text()
    assert text.startswith("# "), "a runbook starts with its title"
    headings = [line.strip() for line in text.splitlines() if line.startswith("## ")]
    assert headings == list(TEMPLATE), headings
    for heading, following in itertools.pairwise(TEMPLATE):
        body = text.split(heading + "\n", 1)[1].split(following + "\n", 1)[0]
        assert body.strip(), f"{heading} is empty"
    assert text.split("## Drill results\n", 1)[1].strip(), "Drill results is empty"


def test_runbook_links_resolve() -> None:
    for path in [*runbook_files(), RUNBOOKS / "README.md"]:
        for target in re.findall(r"\]\(([a-z0-9-]+\.md)\)", path.read_text()):
            assert (RUNBOOKS / target).is_file(), (path.name, target)


def test_index_lists_every_runbook() -> None:
    index = (RUNBOOKS / "README.md").read_text()
    for path in runbook_files():
        assert f"]({path.name})" in index, path.name
