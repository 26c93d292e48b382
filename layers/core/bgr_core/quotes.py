"""What a batch of (tier, count) would cost this user now (POST /pricing/quote): the same
decision that charging makes (SPEC §5), without writing anything."""

from dataclasses import dataclass

from . import subscriptions
from .charging import plan_charge, quota_room
from .config import get_settings
from .pricing import TIERS


@dataclass(frozen=True)
class QuoteFigures:
    tier: str
    image_count: int
    credits_per_image: int
    original_price: int
    discount_percentage: int
    discount: int
    final_price: int
    covered_by_subscription: int
    credits_to_charge: int


def quote(user_id: str | None, tier: str, image_count: int) -> QuoteFigures:
    room = 0
    if user_id and get_settings().feature_subscriptions:
        sub = subscriptions.get(user_id)
        room = quota_room(subscriptions.quota_use(sub, subscriptions.today()), tier)
    plan = plan_charge(tier, image_count, room)
    listed = plan.list_price
    return QuoteFigures(
        tier=tier,
        image_count=image_count,
        credits_per_image=TIERS[tier].credits,
        original_price=listed.base,
        discount_percentage=listed.discount_percentage,
        discount=listed.discount,
        final_price=listed.final,
        covered_by_subscription=plan.covered,
        credits_to_charge=plan.credits,
    )
