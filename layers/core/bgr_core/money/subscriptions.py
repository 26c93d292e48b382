"""Subscriptions and their daily quota counters.

A subscription becomes active, renews, lapses or ends only through a verified payment event
(bgr_core.money.payment_events) or an admin's comp (`comp`); nothing a user sends alone does.
The day's counters belong to the user, so a new subscription the same day shares that day's quota.
"""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bgr_core.money import credits
from bgr_core.money.charge_decision import QuotaUse
from bgr_core.money.credits import Change
from bgr_core.money.pricing import PLANS, TIERS
from bgr_core.platform.config import get_settings
from bgr_core.platform.dynamodb import Write, get_or_none, save, update
from bgr_core.platform.errors import BadRequest, Conflict, NotFound
from bgr_core.platform.models import Subscription, UsageCounter, utcnow

ALL_TIERS = "all"
USAGE_RETENTION = timedelta(days=90)
USABLE = ("active", "past_due", "cancelled")  # each until currentPeriodEnd
COMP = "comp"


def today(now: datetime | None = None) -> str:
    """The calendar day in the quota time zone (Asia/Jakarta by default): quotas reset at its midnight."""
    return (now or utcnow()).astimezone(ZoneInfo(get_settings().quota_timezone)).date().isoformat()


def is_usable(sub: Subscription | None, now: datetime | None = None) -> bool:
    """Active, past due or cancelled, inside the period already paid for."""
    return bool(sub) and sub.status in USABLE and (now or utcnow()) < sub.current_period_end


def get(user_id: str) -> Subscription | None:
    return get_or_none(Subscription, user_id)


def terms(plan: str):
    found = PLANS.get(plan)
    if found is None:
        raise BadRequest(f"unknown plan {plan!r}; plans: {', '.join(PLANS)}")
    return found


def check_can_subscribe(user_id: str) -> None:
    """A usable subscription that renews must be cancelled first (it may run out meanwhile)."""
    current = get(user_id)
    if is_usable(current) and current.status in ("active", "past_due"):
        raise BadRequest(f"already subscribed to {current.plan}; cancel it first")


def new_record(
    user_id: str, plan: str, *, period_end: datetime, provider: str, now: datetime
) -> Subscription:
    """A subscription record active on `plan` until `period_end` (written by whoever decided it)."""
    t = terms(plan)
    return Subscription(
        user_id,
        id=str(uuid.uuid4()),
        plan=plan,
        status="active",
        monthly_price=t.monthly_price_rp,
        daily_quota=t.daily_quota,
        professional_daily_quota=t.professional_daily_quota,
        allowed_tiers=set(t.allowed_tiers),
        subscribed_at=now,
        current_period_end=period_end,
        provider=provider,
    )


def set_plan(sub: Subscription, plan: str) -> None:
    """The plan's terms on the record (a plan change, as the provider bills it)."""
    t = terms(plan)
    sub.plan = plan
    sub.monthly_price = t.monthly_price_rp
    sub.daily_quota = t.daily_quota
    sub.professional_daily_quota = t.professional_daily_quota
    sub.allowed_tiers = set(t.allowed_tiers)


def put(sub: Subscription, read: Subscription | None) -> Write:
    """Writes `sub` whole, conditioned on the record being as `read` (None: no record yet)."""
    if read is None:
        condition = Subscription.user_id.does_not_exist()
    else:
        condition = Subscription.version == read.version
    sub.version = (int(read.version) if read else 0) + 1
    return save(sub, condition)


def comp(user_id: str, plan: str, days: int, *, admin_id: str, reason: str) -> Subscription:
    """An admin gives a plan for `days` (support cases), recorded with who and why. A usable paid
    subscription is left alone: it would be replaced without being cancelled at the provider."""

    def decide(attempt: int) -> Change:
        current = get(user_id)
        if is_usable(current) and current.provider != COMP and current.status != "cancelled":
            raise Conflict(
                f"{user_id} has a paid {current.plan} subscription; cancel it at the provider first"
            )
        now = utcnow()
        sub = new_record(user_id, plan, period_end=now + timedelta(days=days), provider=COMP, now=now)
        sub.auto_renew = False
        sub.payment_method = COMP
        sub.last_payment_id = f"comp:{admin_id}"
        sub.comped_by, sub.comp_reason = f"admin:{admin_id}", reason
        return Change(user_id, 0, writes=[put(sub, current)], decided=sub)

    return credits.apply(decide).decided


def cancel_comp(sub: Subscription, reason: str | None) -> Subscription:
    """Ends a comped plan's renewal at once (there is no provider to ask); usable until its end."""
    sub.update(
        actions=[
            Subscription.status.set("cancelled"),
            Subscription.cancelled_at.set(utcnow()),
            Subscription.cancel_reason.set(reason),
            Subscription.auto_renew.set(False),
            Subscription.version.add(1),
        ],
        condition=Subscription.version == sub.version,
    )
    return sub


def require_cancellable(user_id: str) -> Subscription:
    sub = get(user_id)
    if sub is None or not is_usable(sub) or sub.status == "cancelled":
        raise NotFound("no active subscription")
    return sub


def _key(day: str, tier: str) -> str:
    return f"{day}#{tier}"


def usage(user_id: str, day: str) -> dict[str, UsageCounter]:
    """The user's counters of `day` by tier (`all` is the total)."""
    rows = UsageCounter.query(user_id, UsageCounter.day_tier.startswith(f"{day}#"), consistent_read=True)
    return {row.day_tier.split("#", 1)[1]: row for row in rows}


def quota_use(sub: Subscription | None, day: str) -> QuotaUse | None:
    """What the charging decision needs to know of a subscription today (None: not usable)."""
    if not is_usable(sub):
        return None
    counters = usage(sub.user_id, day)

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
    """The writes taking `count` from the user's quota of `day`; their conditions keep the counters
    from ever passing the quota, whatever runs concurrently."""
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
        counter = UsageCounter(sub.user_id, _key(day, counter_tier))
        writes.append(update(counter, _add(count, tier, day), condition))
    return writes


def release(user_id: str, day: str, tier: str, count: int) -> list[Write]:
    """The writes giving `count` back to the user's quota of that day (a failed image)."""
    return [
        update(UsageCounter(user_id, _key(day, counter_tier)), _add(-count, tier, day))
        for counter_tier in (ALL_TIERS, tier)
    ]


def _add(count: int, tier: str, day: str):
    expires = datetime.fromisoformat(day).replace(tzinfo=utcnow().tzinfo) + USAGE_RETENTION
    return [
        UsageCounter.removals_count.add(count),
        UsageCounter.total_credits_equivalent.add(count * TIERS[tier].credits),
        UsageCounter.expires_at.set(int(expires.timestamp())),
    ]
