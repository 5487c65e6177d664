"""Faults a drill injects and always rolls back: toxiproxy toxics, disabled proxies, provider faults.

toxiproxy-python uses ``requests`` without timeouts, so every call runs in a
thread under a deadline: a wedged toxiproxy fails the drill instead of hanging
it (and the rollback still tries every other fault).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx

from harness.settings import HarnessSettings
from harness.stack.toxiproxy import ToxiproxyClient, ensure_proxies, proxy_specs

T = TypeVar("T")
TOXIPROXY_CALL_TIMEOUT_S = 5.0


async def bounded(call: Callable[[], T], timeout_s: float = TOXIPROXY_CALL_TIMEOUT_S) -> T:
    """Run a blocking client call in a thread, giving up after ``timeout_s``."""
    return await asyncio.wait_for(asyncio.to_thread(call), timeout_s)


class Fault(Protocol):
    """Something a drill breaks; ``rollback`` must be safe to call even if ``inject`` failed half-way."""

    name: str

    def attributes(self) -> dict[str, Any]: ...

    async def inject(self) -> None: ...

    async def rollback(self) -> None: ...


@dataclass
class ProxyDisabled:
    """The dependency is unreachable: its proxy refuses connections and drops the open ones."""

    toxiproxy: ToxiproxyClient
    proxy: str
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or f"{self.proxy} proxy disabled"

    def attributes(self) -> dict[str, Any]:
        return {"proxy": self.proxy, "enabled": False}

    async def inject(self) -> None:
        await bounded(lambda: self.toxiproxy.set_enabled(self.proxy, False))

    async def rollback(self) -> None:
        await bounded(lambda: self.toxiproxy.set_enabled(self.proxy, True))


@dataclass
class Toxic:
    """A toxiproxy toxic (latency, bandwidth, timeout, reset_peer, ...) on one proxy and stream."""

    toxiproxy: ToxiproxyClient
    proxy: str
    kind: str
    toxic_attributes: dict[str, Any]
    stream: str = "downstream"
    toxicity: float = 1.0
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or f"chaos-{self.proxy}-{self.kind}-{self.stream}"

    def attributes(self) -> dict[str, Any]:
        return {"proxy": self.proxy, "toxic": self.kind, "stream": self.stream, **self.toxic_attributes}

    async def inject(self) -> None:
        await bounded(
            lambda: self.toxiproxy.add_toxic(
                self.proxy,
                self.kind,
                self.toxic_attributes,
                name=self.name,
                stream=self.stream,
                toxicity=self.toxicity,
            )
        )

    async def rollback(self) -> None:
        present = await bounded(lambda: self.toxiproxy.proxies().get(self.proxy, {}).get("toxics") or [])
        if any(toxic["name"] == self.name for toxic in present):
            await bounded(lambda: self.toxiproxy.remove_toxic(self.proxy, self.name))


@dataclass
class ProviderFaults:
    """The provider itself misbehaves (5xx, latency): set on the simulator account, not the network."""

    admin: httpx.AsyncClient
    """Talks to the simulator's admin API directly (its real port), never through a toxic."""
    provider: str
    account: str
    faults: dict[str, Any]
    name: str = ""
    _before: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.name = self.name or f"{self.provider} account faults"

    def attributes(self) -> dict[str, Any]:
        return {"provider": self.provider, "account": self.account, **self.faults}

    async def inject(self) -> None:
        response = await self.admin.patch(
            f"/_sim/accounts/{self.provider}/{self.account}", json={"faults": self.faults}
        )
        response.raise_for_status()

    async def rollback(self) -> None:
        response = await self.admin.patch(
            f"/_sim/accounts/{self.provider}/{self.account}", json={"faults": dict.fromkeys(self.faults, 0)}
        )
        response.raise_for_status()


async def reset_proxies(settings: HarnessSettings, toxiproxy: ToxiproxyClient) -> dict[str, str]:
    """Belt and braces after every drill: every proxy enabled, no toxics (what ``stack up`` leaves)."""
    return await bounded(lambda: ensure_proxies(toxiproxy, proxy_specs(settings)), 15.0)
