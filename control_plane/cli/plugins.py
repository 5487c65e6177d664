"""Commands and settings sections that other installed distributions add to ``importctl``.

The product's wheel carries only the operator's commands.  The development
harness (local stack, demo, load runs, chaos drills) registers its own through
two entry point groups, so they appear when it is installed and the product
never imports it.
"""

from __future__ import annotations

from enum import StrEnum
from importlib.metadata import EntryPoint, entry_points

import click
from pydantic_settings import BaseSettings


class PluginGroup(StrEnum):
    """Entry point groups ``importctl`` reads."""

    COMMANDS = "importctl.commands"
    SETTINGS = "importctl.settings"


class BadPlugin(click.ClickException):
    """An entry point that loads something other than what its group promises."""


def _entries(group: PluginGroup) -> list[EntryPoint]:
    return sorted(entry_points(group=group.value), key=lambda entry: entry.name)


def plugin_commands() -> list[click.Command]:
    """Every command registered under ``importctl.commands``, by entry point name."""
    commands = []
    for entry in _entries(PluginGroup.COMMANDS):
        command = entry.load()
        if not isinstance(command, click.Command):
            raise BadPlugin(f"entry point {entry.name} = {entry.value} is not a click command")
        commands.append(command)
    return commands


def plugin_sections() -> list[type[BaseSettings]]:
    """Every settings section registered under ``importctl.settings``, by entry point name."""
    sections = []
    for entry in _entries(PluginGroup.SETTINGS):
        section = entry.load()
        if not (isinstance(section, type) and issubclass(section, BaseSettings)):
            raise BadPlugin(f"entry point {entry.name} = {entry.value} is not a settings section")
        sections.append(section)
    return sections
