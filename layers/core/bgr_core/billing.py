"""Charging and refunding jobs and batches (SPEC §5), on top of credits.apply and the quota.

A job or batch is written in the same transaction that pays for it, so a refused charge leaves
nothing behind; a failure is marked in the same transaction that refunds it, so a refund
happens once, whatever is retried or redelivered.
"""

from collections.abc import Sequence

from . import credits, features, subscriptions
from .charging import ChargePlan, plan_charge, quota_room
from .credits import Action, Rejected
from .errors import ServiceUnavailable
from .models import Batch, BatchItem, BatchItemGroup, Job, item_group_key, utcnow


def _usable_subscription(user_id: str):
    return subscriptions.get(user_id) if features.enabled("subscriptions") else None


def _charge(
    user_id: str, tier: str, count: int, reference: str, records, credits_per_image: int | None = None
) -> ChargePlan:
    """Decides who pays for `count` images and writes `records(plan, sub, day)` with the charge."""
    sub = _usable_subscription(user_id)
    day = subscriptions.today()
    # Losing a race for the quota means another request took some of it, so deciding again
    # ends within the quota's size: the last decision finds it full and pays in credits.
    for _ in range(int(sub.daily_quota) + 1 if sub else 1):
        room = quota_room(subscriptions.quota_use(sub, day), tier)
        plan = plan_charge(tier, count, room, credits_per_image)
        actions: list[Action] = list(records(plan, sub if plan.covered else None, day))
        if plan.covered:
            actions.append(subscriptions.reserve(sub, day, tier, plan.covered))
        try:
            credits.apply(
                user_id,
                -plan.credits,
                reason="charge",
                reference=reference,
                actor=f"user:{user_id}",
                actions=actions,
            )
            return plan
        except Rejected:
            if not plan.covered:
                raise
    raise ServiceUnavailable("the subscription quota is changing too fast; retry")


def charge_new_job(job: Job, credits_per_image: int | None = None) -> Job:
    """Fills in how the job is paid and writes it together with its charge (the tier's credits
    unless `credits_per_image` says otherwise)."""

    def records(plan: ChargePlan, sub, day):
        job.pricing_type = plan.pricing_type(0)
        job.credits_used = plan.credits
        job.subscription_id = sub.id if sub else None
        job.usage_date = day if sub else None
        yield lambda tx: tx.save(job, condition=Job.id.does_not_exist())

    _charge(job.user_id, job.tier, 1, f"job:{job.id}", records, credits_per_image)
    return job


def charge_new_batch(batch: Batch, items: Sequence[BatchItem]) -> ChargePlan:
    """Writes the batch, its items (with each one's share) and the charge in one transaction."""

    def records(plan: ChargePlan, sub, day):
        for item, share in zip(items, plan.shares(), strict=True):
            item.share = share
            item.pricing_type = plan.pricing_type(item.index)
        list_price = plan.list_price
        batch.original_price = list_price.base
        batch.discount_percentage = list_price.discount_percentage
        batch.final_price = list_price.final
        batch.credits_charged = plan.credits
        batch.covered_by_subscription = plan.covered
        batch.subscription_id = sub.id if sub else None
        batch.usage_date = day if sub else None
        yield lambda tx: tx.save(batch, condition=Batch.id.does_not_exist())
        groups: dict[str, list[BatchItem]] = {}
        for item in items:
            groups.setdefault(item_group_key(item.index), []).append(item)
        for sk, members in groups.items():
            yield lambda tx, sk=sk, members=members: tx.save(BatchItemGroup(batch.id, sk, items=members))

    return _charge(batch.user_id, batch.tier, len(items), f"batch:{batch.id}", records)


def refund(
    user_id: str,
    *,
    credits_paid: int,
    reference: str,
    mark_failed: Action,
    quota: tuple[str, str, str] | None = None,
) -> bool:
    """Refunds one failed image: its credits, or its quota (subscription id, day, tier).

    `mark_failed` is the conditional write that records the failure and refuses a second
    refund; returns False when it refused (already refunded or no longer refundable).
    """
    actions = [mark_failed]
    if quota and not credits_paid:
        actions.append(subscriptions.release(*quota, count=1))
    try:
        credits.apply(
            user_id, credits_paid, reason="refund", reference=reference, actor="system", actions=actions
        )
        return True
    except Rejected:
        return False


def fail_job(job: Job, code: str, message: str, only: tuple[str, ...] = ("pending", "processing")) -> bool:
    """Marks a job failed and refunds it, once: False when it was already settled (or is in none
    of the statuses `only` allows: an expired upload fails only a job not started)."""
    now = utcnow()

    def mark_failed(tx) -> None:
        tx.update(
            job,
            actions=[
                Job.status.set("failed"),
                Job.error_code.set(code),
                Job.error_message.set(message),
                Job.completed_at.set(now),
                Job.refunded_at.set(now),
                Job.upload_shard.remove(),
            ],
            condition=Job.refunded_at.does_not_exist() & Job.status.is_in(*only),
        )

    quota = (job.subscription_id, job.usage_date, job.tier) if job.pricing_type == "subscription" else None
    return refund(
        job.user_id,
        credits_paid=int(job.credits_used),
        reference=f"job:{job.id}",
        mark_failed=mark_failed,
        quota=quota,
    )
