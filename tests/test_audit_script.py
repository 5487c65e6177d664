"""The dependency audit never passes unaudited, and `make lint` no longer depends on its network access."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_unreachable_advisory_service_is_reported_as_not_run_not_clean() -> None:
    # A closed local port stands for an advisory service that cannot be reached.
    env = {**os.environ, "AUDIT_PROBE_URL": "http://127.0.0.1:9/pypi/pip/24.0/json"}
    done = subprocess.run(
        ["bash", "scripts/audit.sh"],  # noqa: S607
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "dependency audit NOT RUN: advisory service unreachable" in done.stderr
    assert "clean" not in done.stdout


def test_lint_does_not_run_the_audit_and_ci_fails_on_findings() -> None:
    makefile = (ROOT / "Makefile").read_text()
    lint = re.search(r"^lint:\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert lint is not None
    assert "audit" not in lint.group(1)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/audit.sh" in ci
    assert ci.index("make test") < ci.index("scripts/audit.sh")
    assert '*) exit "$audit_rc"' in ci  # 1 (findings) and 2 (could not run) fail the run
