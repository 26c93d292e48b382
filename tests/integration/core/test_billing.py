import threading
import uuid
from datetime import timedelta

import pytest

import money
from bgr_core.money import checkout, credits, job_charges, subscriptions
from bgr_core.platform.errors import InsufficientCredits
from bgr_core.platform.models import Batch, BatchItem, BatchItemGroup, Job, LedgerEntry, UsageCounter, utcnow
from concurrency import on_threads
from money import fund


def new_job(user="u1", tier="standard") -> Job:
    return Job(
        str(uuid.uuid4()),
        user_id=user,
        created_at=utcnow().isoformat(),
        tier=tier,
        original_key=f"uploads/{user}/x.png",
        pricing_type="credit",
    )


def subscribe(user="u1", plan="pro"):
    return money.subscribe(user, plan)


def used(sub, tier="all") -> int:
    rows = subscriptions.usage(sub.user_id, subscriptions.today())
    return int(rows[tier].removals_count) if tier in rows else 0


def test_job_paid_in_credits_is_written_with_its_charge(aws):
    fund("u1", 20)
    job = job_charges.charge_new_job(new_job())
    stored = Job.get(job.id)
    assert (stored.pricing_type, stored.credits_used) == ("credit", 8)
    assert credits.balance("u1") == 12
    assert [e.reference for e in LedgerEntry.query("u1")][-1] == f"job:{job.id}"


def test_refused_charge_leaves_no_job(aws):
    fund("u1", 5)
    with pytest.raises(InsufficientCredits):
        job_charges.charge_new_job(new_job())
    with pytest.raises(InsufficientCredits):
        job_charges.charge_new_job(new_job(user="nobody"))
    assert list(Job.scan()) == [] and credits.balance("u1") == 5


def test_subscription_covers_a_job_then_credits_take_over(aws):
    sub = subscribe(plan="starter")
    fund("u1", 100)
    first = job_charges.charge_new_job(new_job(tier="basic"))
    assert (first.pricing_type, first.credits_used, first.subscription_id) == ("subscription", 0, sub.id)
    industry = job_charges.charge_new_job(new_job(tier="industry"))
    assert (industry.pricing_type, industry.credits_used) == ("credit", 25)
    assert used(sub) == 1 and used(sub, "basic") == 1
    assert credits.balance("u1") == 75


def test_refund_restores_exactly_the_share_once(aws):
    fund("u1", 20)
    job = job_charges.charge_new_job(new_job())
    assert job_charges.commit_failed_job(job, "CORRUPT_IMAGE", "truncated") is True
    assert job_charges.commit_failed_job(Job.get(job.id), "CORRUPT_IMAGE", "truncated") is False
    assert job_charges.commit_failed_job(job, "CORRUPT_IMAGE", "again") is False
    stored = Job.get(job.id)
    assert (stored.status, stored.error_code) == ("failed", "CORRUPT_IMAGE")
    assert credits.balance("u1") == 20
    refunds = [e for e in LedgerEntry.query("u1") if e.reason == "refund"]
    assert [(e.delta, e.reference) for e in refunds] == [(8, f"job:{job.id}")]


def test_concurrent_refunds_of_one_job_pay_once(aws):
    fund("u1", 20)
    job = job_charges.charge_new_job(new_job())
    outcomes = []

    def worker(copy: Job) -> None:
        outcomes.append(job_charges.commit_failed_job(copy, "X", "y"))

    # Each worker has its own copy of the job, as separate invocations would.
    threads = [threading.Thread(target=worker, args=(Job.get(job.id),)) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 10
    assert outcomes.count(True) == 1 and credits.balance("u1") == 20


def test_completed_job_is_never_refunded(aws):
    fund("u1", 20)
    job = job_charges.charge_new_job(new_job())
    job.update(actions=[Job.status.set("completed")])
    assert job_charges.commit_failed_job(job, "X", "late failure") is False
    assert credits.balance("u1") == 12


def test_quota_refund_gives_the_image_back(aws):
    sub = subscribe()
    job = job_charges.charge_new_job(new_job(tier="professional"))
    assert used(sub, "professional") == 1
    assert job_charges.commit_failed_job(job, "CORRUPT_IMAGE", "bad") is True
    assert job_charges.commit_failed_job(job, "CORRUPT_IMAGE", "bad") is False
    assert used(sub) == 0 and used(sub, "professional") == 0


def test_50_concurrent_quota_increments_against_20(aws):
    sub = subscribe(plan="starter")
    sub.update(actions=[subscriptions.Subscription.daily_quota.set(20)])
    day = subscriptions.today()
    wins = []

    def take(_):
        try:
            with job_charges.credits.transaction() as tx:
                for write in subscriptions.reserve(sub, day, "basic", 1):
                    write(tx)
            wins.append(True)
        except Exception:
            wins.append(False)

    on_threads(50, take)
    assert wins.count(True) == 20
    assert used(sub) == 20 and used(sub, "basic") == 20


def test_concurrent_single_jobs_fill_the_quota_then_pay(aws):
    sub = subscribe(plan="starter")
    sub.update(actions=[subscriptions.Subscription.daily_quota.set(5)])
    fund("u1", 1000)
    jobs = []
    threads = [
        threading.Thread(target=lambda: jobs.append(job_charges.charge_new_job(new_job(tier="basic"))))
        for _ in range(15)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(j.pricing_type for j in jobs) == ["credit"] * 10 + ["subscription"] * 5
    assert credits.balance("u1") == 1000 - 10 * 3 and used(sub) == 5


def test_cancelled_subscription_is_usable_until_period_end(aws):
    subscribe(plan="starter")
    sub, _ = checkout.cancel("u1", "too expensive")
    assert sub.status == "cancelled" and subscriptions.is_usable(sub)
    assert not subscriptions.is_usable(sub, utcnow() + timedelta(days=31))
    assert job_charges.charge_new_job(new_job(tier="basic")).pricing_type == "subscription"


def make_batch(count: int, user="u1", tier="standard"):
    batch = Batch(
        str(uuid.uuid4()),
        user_id=user,
        created_at=utcnow().isoformat(),
        tier=tier,
        total_images=count,
        original_price=0,
        discount_percentage=0,
        final_price=0,
        credits_charged=0,
    )
    items = [
        BatchItem(index=i, filename=f"{i}.jpg", key=f"batches/{batch.id}/{i}.jpg", pricing_type="credit")
        for i in range(count)
    ]
    return batch, items


def test_batch_of_500_is_charged_with_discount_and_shares_in_one_transaction(aws):
    fund("u1", 5000)
    batch, items = make_batch(500)
    plan = job_charges.charge_new_batch(batch, items)
    assert plan.credits == 3200 and credits.balance("u1") == 1800
    stored = Batch.get(batch.id, "BATCH")
    assert (stored.original_price, stored.discount_percentage, stored.final_price) == (4000, 20, 3200)
    groups = list(BatchItemGroup.query(batch.id, BatchItemGroup.sk.startswith("ITEMS#")))
    shares = [item.share for g in groups for item in g.items]
    assert len(shares) == 500 and sum(shares) == 3200


def test_batch_uses_quota_first_then_credits_at_the_batch_discount(aws):
    sub = subscribe(plan="pro")
    day = subscriptions.today()
    UsageCounter(sub.user_id, f"{day}#all", removals_count=190).save()
    fund("u1", 500)
    batch, items = make_batch(30)
    plan = job_charges.charge_new_batch(batch, items)
    assert (plan.covered, plan.credits) == (10, 152)
    assert credits.balance("u1") == 348 and used(sub) == 200


def test_batch_refused_leaves_nothing(aws):
    fund("u1", 10)
    batch, items = make_batch(30)
    with pytest.raises(InsufficientCredits):
        job_charges.charge_new_batch(batch, items)
    assert list(Batch.scan()) == [] and credits.balance("u1") == 10
