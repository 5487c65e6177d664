"""The run's jobs: one simulated vendor each, with a seeded tier and catalog size.

Pure and deterministic: the same mix and seed give the same jobs, so a run can
be repeated and the accounting knows exactly which catalogs were served.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from control_plane.domain.principals import Tier

TIERS = (Tier.BASIC, Tier.PRO, Tier.ENTERPRISE)


@dataclass(frozen=True)
class SizeMix:
    """How many products a job imports: mostly small, some medium, a tail of large ones."""

    small_share: float = 0.85
    small_min: int = 1
    small_max: int = 20
    medium_max: int = 99
    large_share: float = 0.03
    large_min: int = 100
    large_max: int = 250
    images_min: int = 0
    images_max: int = 3
    tier_weights: tuple[float, float, float] = (0.6, 0.3, 0.1)

    def __post_init__(self) -> None:
        if self.small_share + self.large_share > 1:
            raise ValueError("small_share + large_share must not exceed 1")
        if not self.small_min <= self.small_max <= self.medium_max < self.large_min <= self.large_max:
            raise ValueError("sizes must satisfy small_min <= small_max <= medium_max < large_min <= large_max")
        if self.images_min > self.images_max:
            raise ValueError("images_min must not exceed images_max")
        if len(self.tier_weights) != len(TIERS) or min(self.tier_weights) < 0 or sum(self.tier_weights) <= 0:
            raise ValueError("tier_weights needs three non-negative weights with a positive sum")

    def products(self, rng: random.Random) -> int:
        draw = rng.random()
        if draw < self.small_share:
            return rng.randint(self.small_min, self.small_max)
        if draw < 1 - self.large_share:
            return rng.randint(self.small_max + 1, self.medium_max)
        return rng.randint(self.large_min, self.large_max)


@dataclass(frozen=True)
class JobSpec:
    """One vendor (company, shop, key) and the single import it submits."""

    index: int
    tier: Tier
    products: int
    shop: str

    @property
    def idempotency_key(self) -> str:
        return f"load-{self.shop}"


def plan_jobs(mix: SizeMix, jobs: int, seed: int, run_id: str) -> list[JobSpec]:
    """``jobs`` vendors with sizes and tiers drawn from ``mix`` by a generator seeded with ``seed``."""
    rng = random.Random(seed)
    specs = []
    for index in range(jobs):
        products = mix.products(rng)
        tier = rng.choices(TIERS, weights=mix.tier_weights)[0]
        specs.append(JobSpec(index, tier, products, shop=f"load-{run_id.lower()}-{index:05d}"))
    return specs


def expected_images(products: int, images_min: int, images_max: int) -> float:
    """Mean images of ``products`` products whose image count is uniform in [images_min, images_max]."""
    return products * (images_min + images_max) / 2
