"""Toxiproxy: a named proxy in front of every dependency.

Applications only ever see the proxy listeners, so a chaos drill can cut or
slow a dependency through the REST API without restarting anything.  The
proxy definitions live in :func:`proxy_specs`; :func:`ensure_proxies` makes
the server match them (the stack, the chaos harness and the tests share it).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import requests
from toxiproxy import Toxiproxy
from toxiproxy.api import APIConsumer
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists
from toxiproxy.proxy import Proxy

from harness.settings import HarnessSettings
from harness.stack.paths import StackPaths
from harness.stack.process import Reporter, StackError, spawn
from harness.stack.service import Service

NAME = "toxiproxy"
_LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ProxySpec:
    """One proxy: applications connect to ``listen``, traffic goes to ``upstream``."""

    name: str
    listen: str
    upstream: str


def _url_port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def proxy_specs(settings: HarnessSettings) -> list[ProxySpec]:
    """Every proxy the stack needs, app-side port first, real port second."""
    stack = settings.stack
    specs = [
        ProxySpec("postgres", f"{_LOOPBACK}:{settings.database.port}", f"{_LOOPBACK}:{stack.postgres_port}"),
        ProxySpec("redis", f"{_LOOPBACK}:{settings.redis.port}", f"{_LOOPBACK}:{stack.redis_port}"),
    ]
    if settings.s3.endpoint_url is not None:
        s3_listen = f"{_LOOPBACK}:{_url_port(settings.s3.endpoint_url)}"
        specs.append(ProxySpec("s3", s3_listen, f"{_LOOPBACK}:{stack.s3_port}"))
    sim = settings.simulator
    simulator = f"{_LOOPBACK}:{sim.port}"
    specs.append(ProxySpec("shopify", f"{_LOOPBACK}:{sim.shopify_proxy_port}", simulator))
    specs.append(ProxySpec("roastify", f"{_LOOPBACK}:{sim.roastify_proxy_port}", simulator))
    return specs


class ToxiproxyClient:
    """A typed face over toxiproxy-python, whose server address is process-global."""

    def __init__(self, host: str = _LOOPBACK, port: int = 8474) -> None:
        APIConsumer.host, APIConsumer.port = host, port
        self._server = Toxiproxy()

    @classmethod
    def from_settings(cls, settings: HarnessSettings) -> ToxiproxyClient:
        return cls(_LOOPBACK, settings.stack.toxiproxy_port)

    def __enter__(self) -> ToxiproxyClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        """Nothing to release: the library opens a connection per call."""

    def _proxy(self, name: str) -> Proxy:
        proxy = _guard(lambda: self._server.get_proxy(name))
        if proxy is None:
            raise StackError(f"toxiproxy has no proxy named {name!r}", NAME)
        return cast(Proxy, proxy)

    def version(self) -> str:
        """The server's version; raises if it does not answer (the library returns None then)."""
        raw = _guard(self._server.version)
        if raw is None:
            raise StackError("toxiproxy API is not answering", NAME)
        return raw.decode().strip() if isinstance(raw, bytes) else str(raw)

    def proxies(self) -> dict[str, dict[str, Any]]:
        """Every proxy by name, each with ``listen``, ``upstream``, ``enabled``, ``toxics``."""
        found = cast(dict[str, Proxy], _guard(self._server.proxies))
        return {
            name: {
                "listen": proxy.listen,
                "upstream": proxy.upstream,
                "enabled": proxy.enabled,
                "toxics": [{"name": toxic} for toxic in _guard(proxy.toxics)],
            }
            for name, proxy in found.items()
        }

    def create(self, spec: ProxySpec, *, enabled: bool = True) -> None:
        _guard(lambda: self._server.create(spec.upstream, spec.name, listen=spec.listen, enabled=enabled))

    def delete(self, name: str) -> None:
        _guard(self._proxy(name).destroy)

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Enable or disable a proxy; disabled, its listener refuses connections."""
        proxy = self._proxy(name)
        _guard(proxy.enable if enabled else proxy.disable)

    @contextmanager
    def disabled(self, name: str) -> Iterator[None]:
        """Cut every connection through proxy ``name`` for the duration of the block."""
        self.set_enabled(name, False)
        try:
            yield
        finally:
            self.set_enabled(name, True)

    def add_toxic(
        self,
        proxy: str,
        toxic_type: str,
        attributes: dict[str, Any],
        *,
        name: str | None = None,
        stream: str = "downstream",
        toxicity: float = 1.0,
    ) -> None:
        """Add a toxic (latency, timeout, bandwidth, reset_peer, ...) to ``proxy``."""
        target = self._proxy(proxy)
        options: dict[str, Any] = {"type": toxic_type, "stream": stream, "toxicity": toxicity}
        options["attributes"] = attributes
        if name is not None:
            options["name"] = name
        _guard(lambda: target.add_toxic(**options))

    def remove_toxic(self, proxy: str, toxic: str) -> None:
        target = self._proxy(proxy)
        _guard(lambda: target.destroy_toxic(toxic))


T = TypeVar("T")
ToxiproxyError = (ProxyExists, NotFound, InvalidToxic)


def _guard(call: Callable[[], T]) -> T:
    """Turn the library's transport and API errors into one clear stack error."""
    try:
        return call()
    except (requests.RequestException, *ToxiproxyError) as exc:
        raise StackError(f"toxiproxy API call failed: {exc!r}", NAME) from exc


def ensure_proxy(client: ToxiproxyClient, spec: ProxySpec, current: dict[str, Any] | None) -> str:
    """Make one proxy match ``spec``: present, enabled, no toxics. Returns what changed."""
    if current is not None and (current["listen"], current["upstream"]) != (spec.listen, spec.upstream):
        client.delete(spec.name)
        current = None
    if current is None:
        client.create(spec)
        return "created"
    changes = []
    for toxic in current.get("toxics") or []:
        client.remove_toxic(spec.name, str(toxic["name"]))
        changes.append(f"removed toxic {toxic['name']}")
    if not current.get("enabled", False):
        client.set_enabled(spec.name, True)
        changes.append("re-enabled")
    return ", ".join(changes) or "ok"


def ensure_proxies(client: ToxiproxyClient, specs: list[ProxySpec]) -> dict[str, str]:
    """Make the server match ``specs``; other proxies are left alone. Name -> what changed."""
    existing = client.proxies()
    return {spec.name: ensure_proxy(client, spec, existing.get(spec.name)) for spec in specs}


def find_binary(settings: HarnessSettings, paths: StackPaths) -> Path:
    """The toxiproxy server: the setting, ``<state_dir>/bin/server``, or PATH."""
    candidates = [settings.stack.toxiproxy_bin, paths.bin / "server"]
    on_path = shutil.which("toxiproxy-server")
    candidates.append(Path(on_path) if on_path else None)
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            return candidate
    raise StackError("toxiproxy server not found; run scripts/bootstrap.sh", NAME)


def _launch(settings: HarnessSettings, paths: StackPaths) -> subprocess.Popen[bytes]:
    binary = find_binary(settings, paths)
    port = str(settings.stack.toxiproxy_port)
    env = {**os.environ, "LOG_LEVEL": "info"}  # debug logs every status probe
    return spawn(paths, NAME, [str(binary), "-host", _LOOPBACK, "-port", port], env=env)


def _probe(settings: HarnessSettings) -> bool:
    try:
        with ToxiproxyClient.from_settings(settings) as client:
            client.version()
    except StackError:
        return False
    return True


def _after_ready(settings: HarnessSettings, report: Reporter) -> None:
    with ToxiproxyClient.from_settings(settings) as client:
        outcome = ensure_proxies(client, proxy_specs(settings))
    for spec in proxy_specs(settings):
        report(f"{NAME}: proxy {spec.name} {spec.listen} -> {spec.upstream} ({outcome[spec.name]})")


def service(settings: HarnessSettings, paths: StackPaths) -> Service:
    return Service(
        name=NAME,
        marker=f"-host {_LOOPBACK} -port ",
        launch=lambda _report: _launch(settings, paths),
        probe=lambda: _probe(settings),
        port=settings.stack.toxiproxy_port,
        stop_signal=signal.SIGTERM,
        after_ready=lambda report: _after_ready(settings, report),
    )
