"""Tiers, volume discounts, plans and quotes as data and pure functions."""

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

RUPIAH_PER_CREDIT = 100
MAX_BATCH_IMAGES = 500


@dataclass(frozen=True)
class Tier:
    name: str
    credits: int
    cost_to_serve_rp: Decimal  # HPP
    seconds_per_image: float  # a batch's estimate until it has measured its own (seed figures)

    @property
    def price_rp(self) -> int:
        return self.credits * RUPIAH_PER_CREDIT

    @property
    def margin_pct(self) -> Decimal:
        return round((1 - self.cost_to_serve_rp / self.price_rp) * 100, 2)


TIERS: dict[str, Tier] = {
    t.name: t
    for t in (
        Tier("basic", 3, Decimal("17.5"), 2.0),
        Tier("standard", 8, Decimal("51.75"), 3.0),
        Tier("professional", 15, Decimal("86.25"), 4.0),
        Tier("industry", 25, Decimal("138"), 5.0),
    )
}
TierName = Literal[tuple(TIERS)]

# (smallest batch size, percentage off), ascending: a batch gets the last bracket it reaches.
VOLUME_DISCOUNTS: tuple[tuple[int, int], ...] = ((1, 0), (20, 5), (51, 10), (101, 15), (201, 20))


@dataclass(frozen=True)
class Plan:
    name: str
    monthly_price_rp: int
    daily_quota: int
    professional_daily_quota: int
    allowed_tiers: tuple[str, ...]


PLANS: dict[str, Plan] = {
    p.name: p
    for p in (
        Plan("starter", 99_000, 50, 0, ("basic", "standard")),
        Plan("pro", 299_000, 200, 50, ("basic", "standard", "professional")),
    )
}
PlanName = Literal[tuple(PLANS)]


@dataclass(frozen=True)
class CreditPack:
    """Credits bought in one payment: list price at RUPIAH_PER_CREDIT, less the pack's discount."""

    name: str
    credits: int
    discount_pct: int

    @property
    def list_price_rp(self) -> int:
        return self.credits * RUPIAH_PER_CREDIT

    @property
    def price_rp(self) -> int:
        return self.list_price_rp - self.list_price_rp * self.discount_pct // 100


CREDIT_PACKS: dict[str, CreditPack] = {
    p.name: p
    for p in (
        CreditPack("small", 100, 0),
        CreditPack("medium", 500, 5),
        CreditPack("large", 2_000, 10),
        CreditPack("xl", 5_000, 15),
    )
}
PackName = Literal[tuple(CREDIT_PACKS)]


def discount_percentage(image_count: int) -> int:
    if not 1 <= image_count <= MAX_BATCH_IMAGES:
        raise ValueError(f"a batch holds 1-{MAX_BATCH_IMAGES} images, not {image_count}")
    return next(pct for smallest, pct in reversed(VOLUME_DISCOUNTS) if image_count >= smallest)


@dataclass(frozen=True)
class Price:
    base: int
    discount_percentage: int
    discount: int

    @property
    def final(self) -> int:
        return self.base - self.discount


def price(credits_per_image: int, paid_images: int, discount_pct: int) -> Price:
    base = paid_images * credits_per_image
    return Price(base, discount_pct, base * discount_pct // 100)


def batch_price(tier: str, image_count: int) -> Price:
    """base = n × tier credits, discount = floor(base × pct / 100)."""
    return price(TIERS[tier].credits, image_count, discount_percentage(image_count))


def break_even_images(plan: str, tier: str) -> int:
    """Images a month at which the plan costs less than paying the tier in credits."""
    return math.ceil(PLANS[plan].monthly_price_rp / TIERS[tier].price_rp)
