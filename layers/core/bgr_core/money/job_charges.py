"""Charging and refunding jobs and batches: the writes each needs, decided from what is stored
and handed to credits.apply (the one transaction and the one retry loop).

A job or batch is written in the same transaction that pays for it, so a refused charge leaves
nothing behind; a failure is marked in the same transaction that refunds it, so a refund
happens once, whatever is retried or redelivered.
"""

from collections.abc import Callable, Sequence

from bgr_core.money import credits, subscriptions
from bgr_core.money.charge_decision import ChargePlan, plan_charge, quota_room
from bgr_core.money.credits import Change, Rejected
from bgr_core.platform import features
from bgr_core.platform.dynamodb import Write, get_or_none, save, update
from bgr_core.platform.errors import OverBudget
from bgr_core.platform.models import (
    Batch,
    BatchItem,
    BatchItemGroup,
    Job,
    Subscription,
    item_group_key,
    utcnow,
)
from bgr_core.work.status import JOB_OPEN, JobStatus

# records(plan, the subscription paying or None, day): what the charge pays for, and its writes
Records = Callable[[ChargePlan, Subscription | None, str], list[Write]]


def check_budget(plan: ChargePlan, max_credits: int | None) -> None:
    """OverBudget when the plan's credits exceed `max_credits` (None: no cap)."""
    if max_credits is not None and plan.credits > max_credits:
        raise OverBudget(
            f"the price is {plan.credits} credits, above max_credits {max_credits}: nothing was charged",
            price=plan.credits,
            maxCredits=max_credits,
        )


def _charge(
    user_id: str,
    tier: str,
    count: int,
    reference: str,
    records: Records,
    written: Callable[[], bool],
    credits_per_image: int | None = None,
    max_credits: int | None = None,
) -> ChargePlan:
    """Decides who pays for `count` images (the day's quota first, then credits) and writes the
    records with the charge. A refusal is decided again: another request took some of the quota,
    or spent some of the balance. Rejected if the records were written meanwhile (`written`);
    OverBudget, with nothing written, when the credits decided exceed `max_credits` (checked on
    every decision, so a quota taken meanwhile cannot make the charge pass the cap)."""
    sub = subscriptions.get(user_id) if features.enabled("subscriptions") else None
    day = subscriptions.today()

    def decide(attempt: int) -> Change | None:
        if attempt and written():
            return None
        plan = plan_charge(
            tier, count, quota_room(subscriptions.quota_use(sub, day), tier), credits_per_image
        )
        check_budget(plan, max_credits)
        writes = records(plan, sub if plan.covered else None, day)
        if plan.covered:
            writes += subscriptions.reserve(sub, day, tier, plan.covered)
        return Change(
            user_id, -plan.credits, "charge", reference, f"user:{user_id}", writes, count, decided=plan
        )

    change = credits.apply(decide)
    if change is None:
        raise Rejected(f"{reference} was written by another request")
    return change.decided


def charge_new_job(job: Job, credits_per_image: int | None = None, max_credits: int | None = None) -> Job:
    """Fills in how the job is paid and writes it together with its charge (the tier's credits
    unless `credits_per_image` says otherwise; refused above `max_credits`). A test job is free:
    written alone, with no quota and no ledger entry (a change of 0 writes none), so its refund is
    one of 0 too. It is in flight like any other (the cap holds free work too)."""
    if job.test:
        job.pricing_type, job.credits_used = "test", 0
        write = save(job, Job.id.does_not_exist())
        free = Change(
            job.user_id, 0, "charge", f"job:{job.id}", f"user:{job.user_id}", [write], 1
        )  # in flight
        credits.apply(lambda attempt: None if attempt else free)
        return job

    def records(plan: ChargePlan, sub: Subscription | None, day: str) -> list[Write]:
        job.pricing_type = plan.pricing_type(0)
        job.credits_used = plan.credits
        job.subscription_id = sub.id if sub else None
        job.usage_date = day if sub else None
        return [save(job, Job.id.does_not_exist())]

    _charge(
        job.user_id,
        job.tier,
        1,
        f"job:{job.id}",
        records,
        lambda: get_or_none(Job, job.id) is not None,
        credits_per_image,
        max_credits,
    )
    return job


def charge_new_batch(batch: Batch, items: Sequence[BatchItem], max_credits: int | None = None) -> ChargePlan:
    """Writes the batch, its items (with each one's share) and the charge in one transaction
    (refused above `max_credits`)."""

    def records(plan: ChargePlan, sub: Subscription | None, day: str) -> list[Write]:
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
        groups: dict[str, list[BatchItem]] = {}
        for item in items:
            groups.setdefault(item_group_key(item.index), []).append(item)
        return [
            save(batch, Batch.id.does_not_exist()),
            *(save(BatchItemGroup(batch.id, sk, items=members)) for sk, members in groups.items()),
        ]

    return _charge(
        batch.user_id,
        batch.tier,
        len(items),
        f"batch:{batch.id}",
        records,
        lambda: get_or_none(Batch, batch.id, batch.sk) is not None,
        max_credits=max_credits,
    )


def refund(
    user_id: str, credits_paid: int, reference: str, quota: tuple[str, str, str] | None, writes: list[Write]
) -> Change:
    """The change refunding one failed image together with `writes` (the failure's own records):
    its credits, or its quota (user id, day, tier) when the quota paid for it. The image is no
    longer in flight."""
    if quota and not credits_paid:
        writes += subscriptions.release(*quota, count=1)
    return Change(user_id, credits_paid, "refund", reference, "system", writes, in_flight=-1)


def commit_failed_job(job: Job, code: str, message: str, only: tuple[str, ...] = JOB_OPEN) -> bool:
    """Marks a job failed and refunds it in one transaction, once: False when it was already
    settled (or is in none of the statuses `only` allows: an expired upload fails only a job not
    started). Only work.lifecycle.end_job calls it, which then emits and announces."""
    now = utcnow()
    quota = (job.user_id, job.usage_date, job.tier) if job.pricing_type == "subscription" else None
    mark_failed = update(
        job,
        [
            Job.status.set(JobStatus.FAILED),
            Job.error_code.set(code),
            Job.error_message.set(message),
            Job.completed_at.set(now),
            Job.refunded_at.set(now),
            Job.upload_shard.remove(),
        ],
        Job.refunded_at.does_not_exist() & Job.status.is_in(*only),
    )

    def decide(attempt: int) -> Change | None:
        if attempt:  # refused: is the job still one to fail?
            job.refresh(consistent_read=True)
            if job.refunded_at is not None or job.status not in only:
                return None
        return refund(job.user_id, int(job.credits_used), f"job:{job.id}", quota, [mark_failed])

    return credits.apply(decide) is not None
