"""The charging decision, pure: who pays for which image, and how much."""

from dataclasses import dataclass

from bgr_core.money.pricing import PLANS, TIERS, Price, discount_percentage, price


@dataclass(frozen=True)
class QuotaUse:
    """A subscription's terms (as sold: they live on the subscription) and today's usage."""

    daily_quota: int
    professional_daily_quota: int
    allowed_tiers: frozenset[str]
    used_total: int = 0
    used_professional: int = 0

    @classmethod
    def of_plan(cls, plan: str, used_total: int = 0, used_professional: int = 0) -> "QuotaUse":
        terms = PLANS[plan]
        return cls(
            terms.daily_quota,
            terms.professional_daily_quota,
            frozenset(terms.allowed_tiers),
            used_total,
            used_professional,
        )


def quota_room(usage: QuotaUse | None, tier: str) -> int:
    """How many more images of `tier` today's quota covers (0 without a usable subscription)."""
    if usage is None or tier not in usage.allowed_tiers:
        return 0
    room = usage.daily_quota - usage.used_total
    if tier == "professional":
        room = min(room, usage.professional_daily_quota - usage.used_professional)
    return max(room, 0)


@dataclass(frozen=True)
class ChargePlan:
    """Images 0..covered-1 ride on the quota; the rest pay credits at the whole batch's discount."""

    tier: str
    image_count: int
    covered: int
    paid: Price
    credits_per_image: int  # the tier's, unless priced otherwise (a preview)

    @property
    def credits(self) -> int:
        return self.paid.final

    @property
    def list_price(self) -> Price:
        return price(self.credits_per_image, self.image_count, self.paid.discount_percentage)

    def shares(self) -> list[int]:
        """Each image's credits; the paid ones split the charge so that the shares add up exactly."""
        paid_count = self.image_count - self.covered
        if not paid_count:
            return [0] * self.image_count
        each, extra = divmod(self.credits, paid_count)
        return [0] * self.covered + [each + (1 if i < extra else 0) for i in range(paid_count)]

    def pricing_type(self, index: int) -> str:
        return "subscription" if index < self.covered else "credit"


def plan_charge(
    tier: str, image_count: int, room: int = 0, credits_per_image: int | None = None
) -> ChargePlan:
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}")
    unit = TIERS[tier].credits if credits_per_image is None else credits_per_image
    covered = min(room, image_count)
    pct = discount_percentage(image_count)
    return ChargePlan(tier, image_count, covered, price(unit, image_count - covered, pct), unit)


# Failure codes of images that never arrived (or were cancelled before they were processed): they
# do not count toward a batch's volume discount.
NEVER_ARRIVED = frozenset({"UPLOAD_EXPIRED", "CANCELLED", "COPY_FAILED"})


@dataclass(frozen=True)
class ItemOutcome:
    pricing_type: str  # credit | subscription
    share: int  # the credits it paid up front
    failed: bool
    arrived: bool


@dataclass(frozen=True)
class Settlement:
    """A batch re-priced at the bracket of the images that arrived."""

    arrived: int
    listed: Price  # the arrived images' list price (the batch's settled prices)
    refund: int  # credits given back now: what never-arrived images paid, less what the bracket lost


def settle_batch(credits_per_image: int, outcomes: list[ItemOutcome]) -> Settlement:
    """The arrived images pay their bracket's price (those the quota covered pay nothing), never
    more than was charged up front; images that arrived and failed were refunded their own share
    when they failed, and images that never arrived are refunded here, with the difference."""
    arrived = [o for o in outcomes if o.arrived]
    pct = discount_percentage(len(arrived)) if arrived else 0
    paid_arrived = sum(o.pricing_type == "credit" for o in arrived)
    charged = sum(o.share for o in outcomes)
    refunded = sum(o.share for o in arrived if o.failed)
    owed = min(charged, price(credits_per_image, paid_arrived, pct).final) - refunded
    held = charged - refunded  # never-arrived images are refunded only here
    return Settlement(
        len(arrived), price(credits_per_image, len(arrived), pct), held - max(0, min(owed, held))
    )
