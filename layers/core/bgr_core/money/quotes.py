"""What a batch of (tier, count) would cost this user now (POST /pricing/quote): the same
decision that charging makes, without writing anything."""

from bgr_core.money import subscriptions
from bgr_core.money.charge_decision import ChargePlan, plan_charge, quota_room
from bgr_core.platform import features


def quote(user_id: str | None, tier: str, image_count: int) -> ChargePlan:
    room = 0
    if user_id and features.enabled("subscriptions"):
        sub = subscriptions.get(user_id)
        room = quota_room(subscriptions.quota_use(sub, subscriptions.today()), tier)
    return plan_charge(tier, image_count, room)
