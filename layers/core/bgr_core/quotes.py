"""What a batch of (tier, count) would cost this user now (POST /pricing/quote): the same
decision that charging makes, without writing anything."""

from . import features, subscriptions
from .charging import ChargePlan, plan_charge, quota_room


def quote(user_id: str | None, tier: str, image_count: int) -> ChargePlan:
    room = 0
    if user_id and features.enabled("subscriptions"):
        sub = subscriptions.get(user_id)
        room = quota_room(subscriptions.quota_use(sub, subscriptions.today()), tier)
    return plan_charge(tier, image_count, room)
