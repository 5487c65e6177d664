"""Settings sections only the development harness reads: the local stack, the simulator, load runs, chaos drills.

They are not part of the product's :class:`~control_plane.settings.Settings`:
an installed control plane has no local stack.  ``importctl settings`` lists
them through the ``importctl.settings`` entry points when the harness is
installed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from pydantic_settings import BaseSettings

from control_plane.settings import Settings, get_settings
from harness.settings.chaos import ChaosSettings
from harness.settings.load import LoadSettings
from harness.settings.localstack import SimulatorSettings, StackSettings


@dataclass(frozen=True)
class HarnessSettings(Settings):
    """The product's sections plus the local stack's and the simulator's, for the harness's edges."""

    stack: StackSettings = field(default_factory=StackSettings)
    simulator: SimulatorSettings = field(default_factory=SimulatorSettings)


SECTIONS: tuple[type[BaseSettings], ...] = (StackSettings, SimulatorSettings, LoadSettings, ChaosSettings)


def harness_settings_of(
    product: Settings, *, stack: StackSettings | None = None, simulator: SimulatorSettings | None = None
) -> HarnessSettings:
    """``product`` with the harness's sections (read from the environment unless given).

    The API must still be given plain :class:`Settings`: Litestar checks an
    injected dependency's exact type, and a HarnessSettings is not one.
    """
    shared = {item.name: getattr(product, item.name) for item in dataclasses.fields(Settings)}
    stack = stack or StackSettings()
    if stack.redis_ha and not product.redis.sentinels:  # the harness finds the primary as the applications do
        shared["redis"] = product.redis.model_copy(update={"sentinels": stack.sentinels()})
    return HarnessSettings(**shared, stack=stack, simulator=simulator or SimulatorSettings())


def load_harness_settings() -> HarnessSettings:
    """Read every section, the product's and the harness's, from the environment now (no caching)."""
    from control_plane.settings import load_settings

    return harness_settings_of(load_settings())


def get_harness_settings() -> HarnessSettings:
    """The process-wide product settings (read once) with the harness's sections read now.

    Building on :func:`~control_plane.settings.get_settings` keeps one cache:
    clearing it resets both.
    """
    return harness_settings_of(get_settings())


__all__ = [
    "SECTIONS",
    "ChaosSettings",
    "HarnessSettings",
    "LoadSettings",
    "SimulatorSettings",
    "StackSettings",
    "get_harness_settings",
    "harness_settings_of",
    "load_harness_settings",
]
