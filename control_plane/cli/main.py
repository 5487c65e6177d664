"""`importctl`: the operator's command line.

The product's commands are listed here; the development harness adds stack,
demo, load and chaos through the ``importctl.commands`` entry points when it is
installed (see :mod:`control_plane.cli.plugins`).
"""

from __future__ import annotations

import click

from control_plane.cli.db import db
from control_plane.cli.plugins import plugin_commands
from control_plane.cli.settings import settings_command
from control_plane.cli.slo import slo
from control_plane.cli.tenants import tenants


@click.group()
def cli() -> None:
    """Import Control Plane: run the stack, manage tenants, inspect the system."""


cli.add_command(db)
cli.add_command(tenants)
cli.add_command(settings_command)
cli.add_command(slo)
for _command in plugin_commands():
    cli.add_command(_command)


def main() -> None:
    cli()
