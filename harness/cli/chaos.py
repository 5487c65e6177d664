"""``importctl chaos``: run chaos drills against the local stack and write their reports.

Exit status: 0 when every drill passed, 1 when any failed or aborted (CI
relies on it).  Reports go to ``<reports dir>/chaos/<run-id>/``; what a drill
measured for a drill-sourced SLO goes to the job store (``slo_observations``).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from chaos.drills import DRILLS
from chaos.env import ChaosEnv
from chaos.model import DrillRecord, verdict
from chaos.publish import load_game_day
from chaos.publish import publish as publish_game_day
from chaos.report import gameday_json, run_id, write_drill, write_gameday
from chaos.runner import run_drill
from chaos.slo_evidence import record_observations
from chaos.stack import stack_env
from harness.settings import get_harness_settings
from harness.settings.chaos import ChaosSettings

CI_OVERRIDES = {"jobs": 16, "outage_s": 10.0, "degrade_s": 8.0, "worker_kills": 2, "products": 60}
"""The fast subset's shorter faults and smaller workload."""


def _options(ci: bool) -> ChaosSettings:
    base = ChaosSettings()
    if not ci:
        return base
    return base.model_copy(update={k: v for k, v in CI_OVERRIDES.items() if k not in base.model_fields_set})


async def _run(names: list[str], options: ChaosSettings) -> list[DrillRecord]:
    settings = get_harness_settings()
    records = []
    for name in names:
        env = stack_env(settings, click.echo)
        try:
            click.echo(f"== drill {name}: {DRILLS[name].summary}")
            record = await run_drill(env, name, options, click.echo, lambda r: write_drill(settings.reports.dir, r))
            await _record_slo_values(env, record)
        finally:
            await env.close()
        folder = settings.reports.dir / "chaos" / record.run_id
        click.echo(
            f"== {name}: {verdict(record).upper()} detect {record.detect_s and round(record.detect_s, 2)} s, "
            f"recover {record.recover_s and round(record.recover_s, 2)} s (target < {record.failure.mttr_s:g} s); "
            f"report {folder}"
        )
        for check in [*record.before, *record.after, *record.invariants]:
            if not check.ok:
                click.secho(f"   FAIL {check.name}: {check.value} (target {check.target}) {check.detail}", fg="red")
        records.append(record)
    return records


async def _record_slo_values(env: ChaosEnv, record: DrillRecord) -> None:
    """What the drill measured for its SLO goes to the job store (nothing when it aborted)."""
    recorded = await record_observations(env.sessions, record)
    for slo, measured in record.slo_values.items():
        bound = " (a lower bound)" if measured.lower_bound else ""
        click.echo(f"== {record.drill}: SLO {slo} measured {measured.value:g}{bound}; recorded: {recorded}")


@click.group()
def chaos() -> None:
    """Chaos drills: break a dependency or a process on purpose, measure detection and recovery."""


@chaos.command("list")
def list_drills() -> None:
    """Every drill, the failure (REQ-MTTR row) it targets, its runbook and whether CI runs it."""
    for drill in DRILLS.values():
        ci = " [ci]" if drill.ci else ""
        click.echo(f"{drill.name:<18} {drill.failure:<9} runbooks/{drill.runbook:<24} {drill.summary}{ci}")


@chaos.command("run")
@click.argument("drills", nargs=-1, required=True, type=click.Choice(sorted(DRILLS)))
@click.option("--ci", is_flag=True, help="Shorter faults and a smaller workload (unless set by ICP_CHAOS_*).")
def run(drills: tuple[str, ...], ci: bool) -> None:
    """Run DRILLS in order; each writes reports/chaos/<run-id>/report.json and summary.md."""
    records = asyncio.run(_run(list(drills), _options(ci)))
    sys.exit(0 if all(verdict(r) == "pass" for r in records) else 1)


@chaos.command()
@click.option("--ci", is_flag=True, help="Only the fast CI subset, with shorter faults.")
def gameday(ci: bool) -> None:
    """Every drill in sequence (or the CI subset), plus a combined report with MTTR against the REQ-MTTR targets."""
    names = [d.name for d in DRILLS.values() if d.ci or not ci]
    started = datetime.now(UTC)
    records = asyncio.run(_run(names, _options(ci)))
    document = gameday_json(
        "gameday-ci" if ci else "gameday", run_id(started, "gameday"), started, datetime.now(UTC), records
    )
    folder = write_gameday(get_harness_settings().reports.dir, document)
    click.echo((folder / "summary.md").read_text())
    sys.exit(0 if document["verdict"] == "pass" else 1)


@chaos.command()
@click.argument("game_day", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--root", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path))
def publish(game_day: Path | None, root: Path) -> None:
    """Write GAME_DAY's figures (default: the latest game day's report folder) into the runbooks' "Drill results",
    the README's game-day row and a dated results page under ROOT."""
    folder = game_day or _latest_game_day(get_harness_settings().reports.dir / "chaos")
    for path in publish_game_day(load_game_day(folder), root):
        click.echo(f"wrote {path}")


def _latest_game_day(reports: Path) -> Path:
    folders = sorted(reports.glob("*-gameday"))
    if not folders:
        raise click.ClickException(f"no game day report under {reports}: run `make gameday` first")
    return folders[-1]
