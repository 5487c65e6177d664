"""Carry out a chaos plan against the stack while a load run drives it, and say what happened when.

Each planned fault is injected at its time, lifted ``for`` seconds later (a killed
process is restarted then) and recorded as a :class:`FaultWindow` in seconds since
the run's origin, the same clock as the report's charts. The faults are the
drills' own (``chaos/faults.py``, ``chaos/process_faults.py``); whatever happens,
every fault that was injected is rolled back and every proxy reset before the run
is judged. A fault that could not be injected is recorded with its error: the
verdict then fails, since the run did not test what it claims.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from chaos.env import RedisProcess, WorkerPool
from chaos.faults import Fault, ProviderFaults, ProxyDisabled, reset_proxies
from chaos.process_faults import RedisCrashed, WorkerKilled
from chaos.stack import StackRedis, StackWorkers
from harness.settings import HarnessSettings
from harness.stack.toxiproxy import ToxiproxyClient
from loadtests.load.chaos_plan import ChaosPlan, FaultKind, FaultWindow, PlannedFault

STORM_BURST = 1_000_000
"""503 answers a storming shop has queued: more than any run makes, so the storm lasts until it is lifted."""
SIM_CONCURRENCY = 32
RESTART_CHECK_S = 1.0
"""How often the run's restart policy looks for a worker that is gone."""
NOT_READY = 503
READINESS_POLL_S = 0.25


@dataclass
class ShopStorm:
    """Several shops' 503 storms as one fault (each is the provider-down drill's fault on one account)."""

    shops: list[ProviderFaults]
    name: str = "provider 503 storm"

    def attributes(self) -> dict[str, Any]:
        return {"shops": len(self.shops), "answer": 503}

    async def inject(self) -> None:
        await self._each(lambda shop: shop.inject())

    async def rollback(self) -> None:
        await self._each(lambda shop: shop.rollback())

    async def served(self) -> int:
        """503 answers the storming shops have given so far (their burst's used part)."""
        counts: list[int] = []

        async def one(shop: ProviderFaults) -> None:
            response = await shop.admin.get(f"/_sim/stats/{shop.provider}/{shop.account}")
            response.raise_for_status()
            counts.append(STORM_BURST - int(response.json()["burst_5xx_remaining"]))

        await self._each(one)
        return sum(counts)

    async def _each(self, call: Callable[[ProviderFaults], Any]) -> None:
        gate = asyncio.Semaphore(SIM_CONCURRENCY)

        async def one(shop: ProviderFaults) -> None:
            async with gate:
                await call(shop)

        await asyncio.gather(*(one(shop) for shop in self.shops))


class ChaosRun:
    """The plan's faults on the stack of ``settings``; ``shops`` are the run's simulator accounts."""

    def __init__(
        self,
        plan: ChaosPlan,
        settings: HarnessSettings,
        shops: Sequence[str],
        echo: Callable[[str], None],
        processes: tuple[WorkerPool, RedisProcess] | None = None,
    ) -> None:
        """``processes`` are the workers and Redis server to kill: the stack's unless given (tests run their own)."""
        self.plan = plan
        self._settings = settings
        self._shops = list(shops)
        self._echo = echo
        self._workers, self._redis = processes or (StackWorkers(settings, echo), StackRedis(settings, echo))
        self._toxiproxy = ToxiproxyClient.from_settings(settings)
        self._sim = httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.simulator.port}", timeout=10)
        self._api = httpx.AsyncClient(base_url=settings.api.base_url, timeout=2)
        self.windows = [FaultWindow(fault.describe(), fault.kind.value) for fault in plan.faults]
        self.unprompted_exits: list[dict[str, Any]] = []
        """Workers that were gone without a planned kill, each restarted by the run's restart policy."""
        self._killing: set[str] = set()

    async def run(self, origin: float, stop: asyncio.Event) -> None:
        """Every fault at its time; a fault not yet due when ``stop`` is set is recorded as not carried out.

        Meanwhile the orchestrator's restart policy brings back any worker that is gone
        without a planned kill, and each such exit is recorded (the verdict counts them).
        """
        policy = asyncio.create_task(self._restart_policy(origin, stop))
        try:
            for planned, window in zip(self.plan.faults, self.windows, strict=True):
                if await _stopped_before(stop, origin + planned.at_s):
                    window.error = "the run ended before it was due"
                    continue
                await self._carry_out(planned, window, origin)
            await stop.wait()
        finally:
            await policy
            if any(window.error for window in self.windows):  # a rollback may have failed: leave no fault behind
                await reset_proxies(self._settings, self._toxiproxy)
            await self._sim.aclose()
            await self._api.aclose()

    async def _restart_policy(self, origin: float, stop: asyncio.Event) -> None:
        """Restart a worker of the pool that is gone and not under a planned kill (``restartPolicy: Always``)."""
        expected = sorted(self._workers.live())
        while not await _stopped_before(stop, time.time() + RESTART_CHECK_S):
            live = self._workers.live()
            for name in (n for n in expected if n not in live and n not in self._killing):
                self.unprompted_exits.append({"worker": name, "at": round(time.time() - origin, 2)})
                self._echo(f"chaos: {name} is gone without a planned kill: restarting it")
                try:
                    await asyncio.to_thread(self._workers.restart, name)
                except Exception as error:  # recorded; the next check tries again
                    self._echo(f"chaos: restart of {name} failed: {error}")

    async def _carry_out(self, planned: PlannedFault, window: FaultWindow, origin: float) -> None:
        fault = self._fault(planned)
        if isinstance(fault, WorkerKilled):
            self._killing.add(fault.worker)
        try:
            await fault.inject()
            window.injected_at = round(time.time() - origin, 2)
            self._echo(f"chaos: {planned.describe()}: injected at +{window.injected_at:.0f} s")
            window.evidence = await self._reached(fault, origin + planned.ends_s)
            await asyncio.sleep(max(0.0, origin + planned.ends_s - time.time()))  # the fault's planned length
            if isinstance(fault, ShopStorm) and (served := await fault.served()):
                window.evidence = f"{served} answers 503 served by {len(fault.shops)} shops"
        except Exception as error:  # recorded: the verdict fails on it
            window.error = f"{type(error).__name__}: {error}"
        finally:
            with contextlib.suppress(Exception):
                window.attributes = fault.attributes()
            try:
                await fault.rollback()
                window.lifted_at = round(time.time() - origin, 2)
            except Exception as error:  # recorded: the verdict fails on it
                window.error = window.error or f"rollback: {type(error).__name__}: {error}"
            self._killing.clear()
            self._echo(f"chaos: {planned.describe()}: lifted at +{window.lifted_at or 0:.0f} s")

    async def _reached(self, fault: Fault, ends: float) -> str | None:
        """The system's own sign that ``fault`` hit it, looked for until the fault ends; None if none was seen."""
        if isinstance(fault, WorkerKilled):
            exited = await fault.wait_exit(max(0.5, ends - time.time()))
            return None if exited is None else f"worker process gone {exited:.2f} s after SIGKILL"
        if isinstance(fault, ShopStorm):
            return None  # counted when the storm ends
        while time.time() < ends:  # PostgreSQL or Redis gone: the API's readiness must say so
            with contextlib.suppress(httpx.HTTPError):
                if (await self._api.get("/health/ready")).status_code == NOT_READY:
                    return "the API's /health/ready answered 503"
            await asyncio.sleep(READINESS_POLL_S)
        return None

    def _fault(self, planned: PlannedFault) -> Fault:
        if planned.kind is FaultKind.WORKER_KILL:
            return WorkerKilled(self._workers, planned.worker, signal.SIGKILL, restart_delay_s=0)
        if planned.kind is FaultKind.REDIS_KILL:
            return RedisCrashed(self._redis)
        if planned.kind is FaultKind.DATABASE_OUTAGE:
            return ProxyDisabled(self._toxiproxy, "postgres")
        stride = max(1, round(1 / planned.share))
        shops = self._shops[::stride]
        return ShopStorm([ProviderFaults(self._sim, "shopify", shop, {"burst_5xx": STORM_BURST}) for shop in shops])

    def as_dict(self) -> dict[str, Any]:
        windows = [asdict(window) for window in self.windows]
        return self.plan.as_dict() | {"windows": windows, "unprompted_exits": self.unprompted_exits}


async def _stopped_before(stop: asyncio.Event, due: float) -> bool:
    """Wait until the wall-clock time ``due``; True if ``stop`` was set first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max(0.0, due - time.time()))
    return stop.is_set()
