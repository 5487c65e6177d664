"""`importctl` adds the commands and settings sections installed distributions register, and refuses impostors."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint

import pytest

from control_plane.cli import plugins
from control_plane.cli.main import cli
from control_plane.cli.plugins import BadPlugin, PluginGroup, plugin_commands, plugin_sections


def test_the_harness_commands_come_from_its_entry_points() -> None:
    assert {command.name for command in plugin_commands()} == {"chaos", "demo", "load", "stack"}
    assert {"db", "tenants", "slo", "settings", "chaos", "demo", "load", "stack"} <= set(cli.commands)


def test_the_harness_settings_sections_come_from_its_entry_points() -> None:
    names = {section.__name__ for section in plugin_sections()}
    assert names == {"StackSettings", "SimulatorSettings", "LoadSettings", "ChaosSettings"}


@pytest.mark.parametrize(
    ("group", "load"),
    [(PluginGroup.COMMANDS, plugin_commands), (PluginGroup.SETTINGS, plugin_sections)],
)
def test_an_entry_point_of_the_wrong_kind_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, group: PluginGroup, load: Callable[[], list[object]]
) -> None:
    impostor = EntryPoint(name="impostor", value="os.path:join", group=group.value)
    monkeypatch.setattr(plugins, "entry_points", lambda group: [impostor])
    with pytest.raises(BadPlugin, match=r"impostor = os\.path:join"):
        load()
