"""``importctl stack``: run the local stack (PostgreSQL, Redis, S3, toxiproxy, API, workers).

Every command is idempotent; the heavy lifting lives in
:mod:`harness.stack` so tests and the chaos harness can reuse it.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from harness.settings import HarnessSettings, get_harness_settings
from harness.stack import orchestrator, supervisor
from harness.stack.paths import StackPaths
from harness.stack.process import StackError, tail


def _fail(settings: HarnessSettings, error: StackError) -> NoReturn:
    """Print the error and, when it names a service, the end of that service's log."""
    click.secho(f"error: {error}", fg="red", err=True)
    if error.service is not None:
        log = StackPaths.from_settings(settings.stack).log_file(error.service)
        lines = tail(log, 30)
        if lines:
            click.echo(f"--- last {len(lines)} lines of {log} ---", err=True)
            click.echo("\n".join(lines), err=True)
    sys.exit(1)


@click.group()
def stack() -> None:
    """Run the local stack: real services on 127.0.0.1, each behind a toxiproxy proxy."""


@stack.command()
@click.option(
    "--infra-only",
    is_flag=True,
    help="Only the services tests need: PostgreSQL, Redis, S3, toxiproxy and the provider simulator.",
)
def up(infra_only: bool) -> None:
    """Start every service that is not running yet and wait until it is ready."""
    settings = get_harness_settings()
    try:
        orchestrator.up(settings, infra_only=infra_only, report=click.echo)
    except StackError as error:
        _fail(settings, error)
    click.echo("")
    for label, where in orchestrator.endpoints(settings):
        if infra_only and label == "API":
            continue
        click.echo(f"{label + ':':<15} {where}")


@stack.command()
def down() -> None:
    """Stop every service of the stack, applications first."""
    settings = get_harness_settings()
    try:
        stopped = orchestrator.down(settings, report=click.echo)
    except StackError as error:
        _fail(settings, error)
    if not stopped:
        click.echo("Nothing was running.")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@stack.command()
def status() -> None:
    """Show every service; exit 0 only if all expected services are ready."""
    settings = get_harness_settings()
    result = orchestrator.stack_status(settings)
    header = ("SERVICE", "PID", "RUNNING", "PORT", "READY")
    rows = [header] + [(s.name, _cell(s.pid), _cell(s.running), _cell(s.port), _cell(s.ready)) for s in result.services]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    proxies = orchestrator.proxy_lines(settings)
    if proxies:
        click.echo("")
        click.echo("\n".join(proxies))
    if result.not_ready:
        click.echo(f"\nnot ready: {', '.join(result.not_ready)}")
        sys.exit(1)


@stack.command()
@click.argument("service")
@click.option("-n", "--lines", default=50, show_default=True, help="How many lines to show.")
def logs(service: str, lines: int) -> None:
    """Print the end of SERVICE's log (postgres, redis, s3, toxiproxy, api, worker-N)."""
    paths = StackPaths.from_settings(get_harness_settings().stack)
    log = paths.log_file(service)
    if not service.replace("-", "").isalnum() or not log.exists():
        known = sorted(p.stem for p in paths.logs.glob("*.log")) if paths.logs.is_dir() else []
        raise click.BadParameter(f"no log for {service!r}; known: {', '.join(known) or 'none'}")
    click.echo("\n".join(tail(log, lines)))


@stack.command()
@click.option("--once", is_flag=True, help="Reconcile once and exit instead of every alarm interval.")
def scale(once: bool) -> None:
    """Run as many local workers as the autoscaler asks for, within local_workers_min/max."""
    settings = get_harness_settings()
    try:
        if once:
            click.echo(supervisor.describe(supervisor.reconcile_once(settings, click.echo)))
        else:
            supervisor.supervise(settings, click.echo)
    except StackError as error:
        _fail(settings, error)
