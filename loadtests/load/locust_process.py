"""Run locust headless in its own process, on loopback, with CSV and HTML output in the report folder."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

LOCUSTFILE = Path(__file__).resolve().parents[1] / "locustfile.py"


async def run_locust(plan_file: Path, folder: Path, api: str, log: Path) -> int:
    """Locust's exit code (informational only: the verdict comes from the SLO verifier and the accounting)."""
    argv = [
        sys.executable,
        *("-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary"),
        *("--host", api, "--csv", str(folder / "locust"), "--csv-full-history", "--html", str(folder / "locust.html")),
        *("--loglevel", "WARNING", "--stop-timeout", "5"),
    ]
    env = {**os.environ, "ICP_LOAD_PLAN_FILE": str(plan_file)}
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(*argv, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT)
        return await process.wait()
