"""Print every setting with its environment variable, value and meaning."""

from __future__ import annotations

import click
from pydantic import SecretStr

from control_plane.cli.plugins import plugin_sections
from control_plane.settings import SECTIONS


@click.command("settings")
def settings_command() -> None:
    """Show every setting (secrets masked), its environment variable and what it is for."""
    for section in (*SECTIONS, *plugin_sections()):
        instance = section()
        prefix = section.model_config.get("env_prefix", "")
        click.echo(f"[{section.__name__}] {(section.__doc__ or '').strip()}")
        for name, field in section.model_fields.items():
            value = getattr(instance, name)
            click.echo(f"  {prefix}{name.upper()}={_shown(value)}  # {field.description}")


def _shown(value: object) -> object:
    """Secrets, alone or in a list, are masked."""
    if isinstance(value, SecretStr):
        return "********"
    if isinstance(value, tuple) and any(isinstance(item, SecretStr) for item in value):
        return f"[{len(value)} masked]"
    return value
