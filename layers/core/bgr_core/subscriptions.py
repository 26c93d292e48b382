"""Subscriptions and their daily quota counters."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .charging import QuotaUse
from .config import get_settings
from .db import Write, get_or_none, update
from .errors import BadRequest, NotFound
from .models import Subscription, UsageCounter, utcnow
from .pricing import PLANS, TIERS

ALL_TIERS = "all"
PERIOD = timedelta(days=30)
USAGE_RETENTION = timedelta(days=90)


def today(now: datetime | None = None) -> str:
    """The calendar day in the quota time zone (Asia/Jakarta by default): quotas reset at its midnight."""
    return (now or utcnow()).astimezone(ZoneInfo(get_settings().quota_timezone)).date().isoformat()


def is_usable(sub: Subscription | None, now: datetime | None = None) -> bool:
    """Active, or cancelled but still inside the period already paid for."""
    return bool(sub) and sub.status in ("active", "cancelled") and (now or utcnow()) < sub.current_period_end


def get(user_id: str) -> Subscription | None:
    return get_or_none(Subscription, user_id)


def subscribe(user_id: str, plan: str, *, payment_id: str, payment_method: str | None) -> Subscription:
    """Records a plan paid elsewhere; a usable subscription must be cancelled and run out first."""
    terms = PLANS.get(plan)
    if terms is None:
        raise BadRequest(f"unknown plan {plan!r}; plans: {', '.join(PLANS)}")
    current = get(user_id)
    if is_usable(current) and current.status == "active":
        raise BadRequest(f"already subscribed to {current.plan}; cancel it first")
    now = utcnow()
    sub = Subscription(
        user_id,
        id=str(uuid.uuid4()),
        plan=plan,
        status="active",
        monthly_price=terms.monthly_price_rp,
        daily_quota=terms.daily_quota,
        professional_daily_quota=terms.professional_daily_quota,
        allowed_tiers=set(terms.allowed_tiers),
        subscribed_at=now,
        current_period_end=now + PERIOD,
        next_billing_date=now + PERIOD,
        auto_renew=True,
        last_payment_id=payment_id,
        payment_method=payment_method,
    )
    sub.save()
    return sub


def cancel(user_id: str, reason: str | None) -> Subscription:
    """Stops renewal; the subscription stays usable until currentPeriodEnd."""
    sub = get(user_id)
    if sub is None or sub.status != "active":
        raise NotFound("no active subscription")
    sub.update(
        actions=[
            Subscription.status.set("cancelled"),
            Subscription.cancelled_at.set(utcnow()),
            Subscription.cancel_reason.set(reason),
            Subscription.auto_renew.set(False),
            Subscription.next_billing_date.remove(),
        ]
    )
    return sub


def _key(day: str, tier: str) -> str:
    return f"{day}#{tier}"


def usage(sub: Subscription, day: str) -> dict[str, UsageCounter]:
    """Today's counters by tier (`all` is the total)."""
    rows = UsageCounter.query(sub.id, UsageCounter.day_tier.startswith(f"{day}#"), consistent_read=True)
    return {row.day_tier.split("#", 1)[1]: row for row in rows}


def quota_use(sub: Subscription | None, day: str) -> QuotaUse | None:
    """What the charging decision needs to know of a subscription today (None: not usable)."""
    if not is_usable(sub):
        return None
    counters = usage(sub, day)

    def used(tier):
        return int(counters[tier].removals_count) if tier in counters else 0

    return QuotaUse(
        int(sub.daily_quota),
        int(sub.professional_daily_quota),
        frozenset(sub.allowed_tiers),
        used(ALL_TIERS),
        used("professional"),
    )


def reserve(sub: Subscription, day: str, tier: str, count: int) -> list[Write]:
    """The writes taking `count` from today's quota; their conditions keep the counters from ever
    passing the quota, whatever runs concurrently."""
    limits = {ALL_TIERS: int(sub.daily_quota)}
    if tier == "professional":
        limits[tier] = int(sub.professional_daily_quota)
    writes = []
    for counter_tier in (ALL_TIERS, tier):
        condition = None
        if counter_tier in limits:
            condition = UsageCounter.removals_count.does_not_exist() | (
                UsageCounter.removals_count <= limits[counter_tier] - count
            )
        counter = UsageCounter(sub.id, _key(day, counter_tier))
        writes.append(update(counter, _add(count, tier, day), condition))
    return writes


def release(subscription_id: str, day: str, tier: str, count: int) -> list[Write]:
    """The writes giving `count` back to that day's quota (a failed image)."""
    return [
        update(UsageCounter(subscription_id, _key(day, counter_tier)), _add(-count, tier, day))
        for counter_tier in (ALL_TIERS, tier)
    ]


def _add(count: int, tier: str, day: str):
    expires = datetime.fromisoformat(day).replace(tzinfo=utcnow().tzinfo) + USAGE_RETENTION
    return [
        UsageCounter.removals_count.add(count),
        UsageCounter.total_credits_equivalent.add(count * TIERS[tier].credits),
        UsageCounter.expires_at.set(int(expires.timestamp())),
    ]
