"""A caller's spending cap (`max_credits`, the MCP tools'): checked inside the charging decision,
so it holds against whatever the quota and the balance are when the charge is written."""

import threading

import pytest
from integration.core.test_billing import new_job, subscribe, used

from bgr_core.money import credits, job_charges
from bgr_core.platform.errors import OverBudget
from bgr_core.platform.models import Batch, BatchItem, Job, LedgerEntry, utcnow
from money import fund


def test_a_cap_below_the_price_writes_nothing_and_the_price_itself_passes(aws):
    fund("u1", 20)
    with pytest.raises(OverBudget) as refused:
        job_charges.charge_new_job(new_job(tier="basic"), max_credits=2)
    assert (refused.value.code, refused.value.status) == ("MAX_CREDITS_EXCEEDED", 402)
    assert refused.value.details == {"price": 3, "maxCredits": 2}
    assert list(Job.scan()) == [] and credits.balance("u1") == 20
    assert len(list(LedgerEntry.query("u1"))) == 1  # the grant only
    job_charges.charge_new_job(new_job(tier="basic"), max_credits=3)
    assert credits.balance("u1") == 17


def test_a_batch_cap_is_on_its_discounted_price(aws):
    fund("u1", 100)

    def batch(n: int) -> tuple[Batch, list[BatchItem]]:
        record = Batch(f"b{n}", "BATCH", user_id="u1", created_at=utcnow().isoformat(), tier="basic")
        record.total_images = n
        return record, [BatchItem(index=i, filename=f"{i}.jpg", key=f"k{i}") for i in range(n)]

    with pytest.raises(OverBudget):  # 20 basic images: 60 - 5% = 57
        job_charges.charge_new_batch(*batch(20), max_credits=56)
    assert list(Batch.scan()) == [] and credits.balance("u1") == 100
    assert job_charges.charge_new_batch(*batch(20), max_credits=57).credits == 57
    assert credits.balance("u1") == 43


def test_concurrent_charges_capped_at_zero_ride_on_the_quota_or_are_refused(aws):
    """Ten images race for a quota with room for three: a cap of 0 must not let the other seven
    fall through to credits once the quota is gone (the price decided anew for each attempt)."""
    sub = subscribe(plan="starter")
    sub.update(actions=[type(sub).daily_quota.set(3)])
    fund("u1", 100)
    outcomes = []

    def charge():
        try:
            outcomes.append(job_charges.charge_new_job(new_job(tier="basic"), max_credits=0).pricing_type)
        except OverBudget:
            outcomes.append("refused")

    threads = [threading.Thread(target=charge) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["subscription"] * 3
    assert used(sub) == 3 and credits.balance("u1") == 100
    assert len(list(Job.scan())) == 3
