"""The submit figure's vendors and its API clients.

Every client is a vendor of its own (a company, an integration, a vendor API
key), so per-company quotas and rate limits never decide the figure; each
client has its own HTTP connection and submits its share one request after
another, as a vendor's integration would.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from control_plane.domain.principals import Role, Tier
from control_plane.domain.providers import Provider
from control_plane.services.integrations import IntegrationService, NewIntegration
from control_plane.services.tenants import TenantService
from loadtests.bench.context import OPERATOR, BenchContext
from loadtests.bench.ratios import percentile

SUBMIT_PATH = "/api/v1/imports"
CLIENT_TIMEOUT_S = 60.0
VENDOR_TIER = Tier.PRO
"""Admitted in the Healthy and Degraded queue tiers alike, so a deep queue does not defer the figure's jobs."""


@dataclass(frozen=True)
class Vendor:
    company_id: uuid.UUID
    integration_id: uuid.UUID
    key: str


@dataclass
class SubmitRun:
    """Submissions of one side of the figure (API or raw), with the latency of each one that was accepted."""

    attempted: int
    seconds: float
    latencies_s: list[float]
    client_cpu_seconds: float = 0.0
    """CPU time of the submitting process (the bench) during the run: the clients' own cost."""
    statuses: dict[str, int] = field(default_factory=dict)
    """Answers by status (the API's HTTP codes; ``ok`` for the baseline), failures included."""
    job_ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return len(self.latencies_s)

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def latency_ms(self, share: float) -> float | None:
        value = percentile(self.latencies_s, share)
        return None if value is None else value * 1000


async def create_vendors(ctx: BenchContext, count: int) -> list[Vendor]:
    """``count`` companies, each with one Shopify integration and one vendor key, in one transaction."""
    pepper = ctx.settings.auth.api_key_pepper.get_secret_value()
    vendors = []
    async with ctx.sessions() as session:
        tenants = TenantService(session, pepper)
        integrations = IntegrationService(session, actor=OPERATOR, secrets=ctx.secrets)
        for index in range(count):
            slug = f"bench-submit-{index}"
            company = await tenants.create_company(name=f"Bench submitter {index}", slug=slug, tier=VENDOR_TIER)
            integration = await integrations.create(
                NewIntegration(
                    provider=Provider.SHOPIFY,
                    name=slug,
                    credential=ctx.simulator.credential(slug),
                    account_settings={"shop": slug},
                    base_url=ctx.simulator.shop_url(slug),
                    company_id=company.id,
                )
            )
            key = await tenants.issue_key(company=company, role=Role.VENDOR, name=slug)
            vendors.append(Vendor(company.id, integration.id, key.key))
        await session.commit()
    return vendors


async def submit_through_api(base_url: str, vendors: Sequence[Vendor], shares: Sequence[int]) -> SubmitRun:
    """Every vendor submits its share at once with the others; timed from the first request to the last answer."""
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    job_ids: list[uuid.UUID] = []
    clients = [
        httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {vendor.key}"},
            timeout=CLIENT_TIMEOUT_S,
            limits=httpx.Limits(max_connections=1),
        )
        for vendor in vendors
    ]

    async def one_vendor(client: httpx.AsyncClient, vendor: Vendor, share: int) -> None:
        body = {"integration_id": str(vendor.integration_id), "options": {"include_images": False}}
        for _ in range(share):
            started = time.perf_counter()
            try:
                response = await client.post(SUBMIT_PATH, json=body)
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1
                continue
            statuses[str(response.status_code)] += 1
            if response.status_code == httpx.codes.ACCEPTED:
                latencies.append(time.perf_counter() - started)
                job_ids.append(uuid.UUID(response.json()["job"]["id"]))

    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one_vendor(c, v, s) for c, v, s in zip(clients, vendors, shares, strict=True)))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return SubmitRun(sum(shares), seconds, latencies, cpu, dict(statuses), job_ids)
