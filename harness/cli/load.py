"""``importctl load run``: bring the stack up, run the load harness, print the verdict.

Exit status 1 when the report's verdict is fail (any SLO breached, anything
lost, fewer jobs in flight than asked for, slot utilisation or CPU per job off
its goal); report.json is the source of truth.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import click

from harness.settings import HarnessSettings, LoadSettings, StackSettings, get_harness_settings
from harness.stack import orchestrator
from harness.stack.process import StackError


@click.group()
def load() -> None:
    """Load harness: 1,000+ concurrent imports through the real API, judged by the SLOs."""


@load.command("run")
@click.option("--jobs", type=int, help="Import jobs (one vendor each). Default: ICP_LOAD_JOBS.")
@click.option("--concurrency", type=int, help="Peak concurrent in-flight jobs. Default: ICP_LOAD_CONCURRENCY.")
@click.option("--workers", type=int, help="Worker processes for the run. Default: ICP_LOAD_WORKERS or the stack's.")
@click.option("--seed", type=int, help="Seed of the job-size and tier mix. Default: ICP_LOAD_SEED.")
@click.option("--run-time", "run_time_s", type=int, help="Hard limit on locust's run time, seconds.")
@click.option("--spawn-rate", type=float, help="Vendors started per second while ramping.")
@click.option("--keep-bucket", is_flag=True, help="Do not empty the image bucket when resetting state.")
@click.option("--no-stack", is_flag=True, help="Use the running stack as it is (do not start anything).")
@click.option(
    "--chaos",
    "chaos_plan",
    metavar="PLAN",
    help="Inject faults during the run: a plan file (TOML) or a shipped plan's name (`default`). "
    "The verdict then judges zero loss, the latency SLO and that every fault was carried out.",
)
@click.option(
    "--autoscale",
    is_flag=True,
    help="Start local workers as the autoscaler asks during the run (up to ICP_OPS_LOCAL_WORKERS_MAX), "
    "so the run measures the autoscaling response.",
)
def run(keep_bucket: bool, no_stack: bool, chaos_plan: str | None, autoscale: bool, **overrides: Any) -> None:
    """Reset state, run locust headless until every job ended, verify the SLOs, write reports/load/<run-id>/."""
    from loadtests.load.chaos_plan import PlanError, load_plan  # the harness needs the load dependency group
    from loadtests.load.runner import new_run_id, run_load

    try:
        plan = None if chaos_plan is None else load_plan(chaos_plan)
    except PlanError as error:
        raise click.BadParameter(str(error), param_hint="--chaos") from error

    chosen = {name: value for name, value in overrides.items() if value is not None}
    load_settings = LoadSettings(**{**LoadSettings().model_dump(), **chosen})
    settings = _with_workers(get_harness_settings(), load_settings.workers)
    if not no_stack:
        try:
            orchestrator.up(settings, infra_only=False, report=click.echo)
        except StackError as error:
            raise click.ClickException(str(error)) from error
    result = asyncio.run(
        run_load(
            settings,
            load_settings,
            run_id=new_run_id(),
            empty_bucket=not keep_bucket,
            chaos=plan,
            autoscale=autoscale,
            echo=click.echo,
        )
    )
    for item in result.report.items:
        mark = click.style(item["verdict"].upper(), fg="green" if item["verdict"] == "pass" else "red")
        aside = "" if item.get("judged", True) else "  (reported, not judged under chaos)"
        click.echo(f"{mark:>5}  {item['name']}: {item['value']} (target {item['target']}){aside}")
    click.echo(f"report: {result.folder}")
    click.echo(f"verdict: {result.report.verdict}")
    if result.report.verdict != "pass":
        raise SystemExit(1)


def _with_workers(settings: HarnessSettings, workers: int | None) -> HarnessSettings:
    if workers is None:
        return settings
    return replace(settings, stack=StackSettings(**{**settings.stack.model_dump(), "workers": workers}))
