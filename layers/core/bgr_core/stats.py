"""A user's account summary (GET /stats): counts, balance and plan."""

from dataclasses import dataclass

from . import batches, credits, jobs, subscriptions


@dataclass(frozen=True)
class UserStats:
    total_single_removals: int
    total_batches: int
    has_subscription: bool
    plan: str | None
    balance: int


def for_user(user_id: str) -> UserStats:
    sub = subscriptions.get(user_id)
    usable = subscriptions.is_usable(sub)
    return UserStats(
        total_single_removals=jobs.count_for_user(user_id),
        total_batches=batches.count_for_user(user_id),
        has_subscription=usable,
        plan=sub.plan if usable else None,
        balance=credits.balance(user_id),
    )
