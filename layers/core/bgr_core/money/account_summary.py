"""A user's account summary (GET /stats): counts, balance and plan."""

from bgr_core.money import credits, subscriptions
from bgr_core.platform.contract import Schema
from bgr_core.work import batches, jobs


class Stats(Schema):
    total_single_removals: int
    total_batches: int
    has_subscription: bool
    plan: str | None
    balance: int


def for_user(user_id: str) -> Stats:
    sub = subscriptions.get(user_id)
    usable = subscriptions.is_usable(sub)
    return Stats(
        total_single_removals=jobs.count_for_user(user_id),
        total_batches=batches.count_for_user(user_id),
        has_subscription=usable,
        plan=sub.plan if usable else None,
        balance=credits.balance(user_id),
    )
