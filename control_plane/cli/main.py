"""`importctl`: the operator's command line."""

from __future__ import annotations

import click

from control_plane.cli.db import db
from control_plane.cli.settings import settings_command
from control_plane.cli.slo import slo
from control_plane.cli.tenants import tenants
from harness.cli.chaos import chaos
from harness.cli.demo import demo
from harness.cli.load import load
from harness.cli.stack import stack


@click.group()
def cli() -> None:
    """Import Control Plane: run the stack, manage tenants, inspect the system."""


cli.add_command(stack)
cli.add_command(db)
cli.add_command(tenants)
cli.add_command(demo)
cli.add_command(settings_command)
cli.add_command(slo)
cli.add_command(load)
cli.add_command(chaos)


def main() -> None:
    cli()
