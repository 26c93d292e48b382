"""Batches in the core: creation with its charge, reading, and item settlement (money exact)."""

import threading

import pytest

import money
from bgr_core.money import credits, subscriptions
from bgr_core.platform.errors import BadRequest, FeatureDisabled, InsufficientCredits, NotFound, TooLarge
from bgr_core.platform.models import Batch, BatchItemGroup, LedgerEntry
from bgr_core.work import batches, lifecycle, settlement
from bgr_core.work.batches import ImageSpec
from bgr_core.work.output_options import OutputOptions
from money import fund

MB = 1024**2


def specs(count: int, size: int = 100_000) -> list[ImageSpec]:
    return [
        ImageSpec(filename=f"photo {i}.jpg", contentType="image/jpeg", sizeBytes=size) for i in range(count)
    ]


def create(user="u1", tier="standard", count=25, **kwargs):
    return batches.create(user, tier, specs(count, **kwargs), options=OutputOptions())


def complete(batch, index: int, processing_time: int = 1) -> None:
    lifecycle.end_item(
        batch.id,
        index,
        lifecycle.Completed(
            result_key=f"results/u1/r{index}.png",
            processed_size=10,
            model_name="u2netp",
            processing_time=processing_time,
        ),
    )


def test_batch_is_charged_at_its_volume_discount_with_exact_shares(aws):
    fund("u1", 1000)
    batch, items = create(count=25)
    assert (batch.original_price, batch.discount_percentage, batch.final_price) == (200, 5, 190)
    assert credits.balance("u1") == 810
    assert sum(item.share for item in items) == 190 and {item.share for item in items} == {7, 8}
    stored = batches.get_for_user("u1", batch.id)
    assert (stored.status, stored.total_images, batches.progress_percentage(stored)) == ("pending", 25, 0)
    assert [item.key for item in batches.items_for_user("u1", batch.id)] == [item.key for item in items]
    assert items[3].key == f"batches/u1/{batch.id}/003/photo 3.jpg"


def test_a_500_image_batch_is_one_transaction(aws):
    fund("u1", 10_000)
    batch, _ = create(count=500)
    assert batch.final_price == 3200  # 500 standard
    groups = list(BatchItemGroup.query(batch.id, BatchItemGroup.sk.startswith("ITEMS#")))
    assert len(groups) == 20 and sum(int(i.share) for g in groups for i in g.items) == 3200
    charges = [e for e in LedgerEntry.query("u1") if e.reason == "charge"]
    assert [(e.delta, e.reference) for e in charges] == [(-3200, f"batch:{batch.id}")]


def test_refused_batches_leave_nothing_behind(aws, settings_env):
    fund("u1", 100)
    with pytest.raises(InsufficientCredits):
        create(count=25)
    with pytest.raises(InsufficientCredits):
        create(user="nobody", count=1)
    with pytest.raises(BadRequest):
        create(count=501)
    with pytest.raises(BadRequest):
        batches.create("u1", "standard", [], options=OutputOptions())
    with pytest.raises(TooLarge):
        create(count=1, size=10 * MB + 1)
    with pytest.raises(TooLarge):
        create(count=205, size=10 * MB)  # 2.05 GB
    settings_env(FEATURE_BATCH="false")
    with pytest.raises(FeatureDisabled):
        create(count=1)
    assert list(Batch.scan()) == [] and credits.balance("u1") == 100


def test_another_users_batch_is_not_found(aws):
    fund("u1", 100)
    batch, _ = create(count=2)
    for call in (batches.get_for_user, batches.items_for_user):
        with pytest.raises(NotFound):
            call("u2", batch.id)
        with pytest.raises(NotFound):
            call("u1", "missing")


def test_batches_are_listed_newest_first_a_page_at_a_time(aws):
    fund("u1", 1000)
    made = [create(count=1)[0].id for _ in range(5)]
    first, cursor = batches.list_for_user("u1", limit=3)
    second, last = batches.list_for_user("u1", limit=3, cursor=cursor)
    assert [b.id for b in first + second] == made[::-1] and last is None
    assert batches.count_for_user("u1") == 5 and batches.list_for_user("u2") == ([], None)
    with pytest.raises(BadRequest):
        batches.list_for_user("u1", cursor="not a cursor")


def test_a_started_item_completes_without_reading_its_group_and_a_settled_one_is_refused(aws, monkeypatch):
    fund("u1", 100)
    batch, _ = create(count=2)
    assert settlement.start_item(batch.id, 0)
    assert settlement.start_item(batch.id, 1, batch_pending=False)  # its caller read it processing
    read_item, reads = settlement._item, []
    monkeypatch.setattr(settlement, "_item", lambda *key: reads.append(key) or read_item(*key))
    complete(batch, 0)
    assert reads == []  # its write, conditioned on the item processing, was enough
    assert not lifecycle.end_item(batch.id, 0, lifecycle.Failed("CORRUPT_IMAGE", "late"))
    complete(batch, 0)  # again, as a redelivery would: refused, then read and found completed
    assert reads == [(batch.id, 0), (batch.id, 0)]
    assert (batches.get(batch.id).processed_images, credits.balance("u1")) == (1, 100 - 16)


def test_items_move_the_batch_from_pending_to_partial(aws):
    fund("u1", 100)
    batch, items = create(count=3)
    assert settlement.start_item(batch.id, 0) and batches.get(batch.id).status == "processing"
    complete(batch, 0, processing_time=1500)
    assert not settlement.start_item(batch.id, 0)  # settled: never restarts
    assert lifecycle.end_item(
        batch.id, 1, lifecycle.Failed("CORRUPT_IMAGE", "cannot decode")
    )  # pending items can fail
    halfway = batches.get(batch.id)
    assert (halfway.processed_images, halfway.failed_images, batches.progress_percentage(halfway)) == (
        1,
        1,
        66,
    )
    assert batches.estimated_duration(halfway) == 2  # 1 left at its measured 1.5 s
    started = settlement.start_item(batch.id, 2)
    assert (started.index, started.status, started.size_bytes) == (2, "processing", items[2].size_bytes)
    complete(batch, 2, processing_time=900)
    done = batches.get(batch.id)
    assert done.processing_ms == 2400  # the completed items' times, the failed one's not counted
    assert (done.status, done.processed_images, done.failed_images, done.zip_status) == (
        "partial",
        2,
        1,
        "building",
    )
    assert int(done.credits_refunded) == items[1].share and credits.balance("u1") == 100 - 24 + items[1].share
    stored = batches.items(batch.id)
    assert [i.status for i in stored] == ["completed", "failed", "completed"]
    assert (stored[1].error_code, stored[1].refunded, stored[0].model_name) == (
        "CORRUPT_IMAGE",
        True,
        "u2netp",
    )


def test_a_batch_whose_items_all_fail_is_failed_and_fully_refunded(aws):
    fund("u1", 100)
    batch, _ = create(count=2)
    assert all(lifecycle.end_item(batch.id, i, lifecycle.Failed("CORRUPT_IMAGE", "bad")) for i in range(2))
    done = batches.get(batch.id)
    assert (done.status, done.zip_status, done.completed_at is not None) == ("failed", None, True)
    assert credits.balance("u1") == 100


def test_concurrent_failures_of_one_item_refund_it_once(aws):
    fund("u1", 100)
    batch, items = create(count=3)
    settlement.start_item(batch.id, 1)
    outcomes = []
    threads = [
        threading.Thread(
            target=lambda: outcomes.append(lifecycle.end_item(batch.id, 1, lifecycle.Failed("X", "boom")))
        )
        for _ in range(10)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False] * 9 + [True]
    refunds = [e for e in LedgerEntry.query("u1") if e.reason == "refund"]
    assert [(e.delta, e.reference) for e in refunds] == [(items[1].share, f"batch:{batch.id}#1")]
    assert batches.get(batch.id).failed_images == 1


def test_concurrent_settlements_of_different_items_all_count(aws):
    fund("u1", 1000)
    batch, items = create(count=20)
    for i in range(20):
        settlement.start_item(batch.id, i)

    def settle(i):
        if i % 4:
            complete(batch, i)
        else:
            lifecycle.end_item(batch.id, i, lifecycle.Failed("X", "boom"))

    threads = [threading.Thread(target=settle, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = batches.get(batch.id)
    assert (done.status, done.processed_images, done.failed_images) == ("partial", 15, 5)
    assert credits.balance("u1") == 1000 - batch.final_price + sum(items[i].share for i in range(0, 20, 4))


def test_quota_paid_item_gives_its_quota_back(aws):
    sub = money.subscribe("u1", "starter")
    batch, items = create(count=2, tier="basic")
    assert batch.credits_charged == 0 and [i.pricing_type for i in items] == ["subscription"] * 2
    assert lifecycle.end_item(batch.id, 0, lifecycle.Failed("X", "boom"))
    usage = subscriptions.usage(sub.user_id, subscriptions.today())
    assert int(usage["all"].removals_count) == 1 and int(usage["basic"].removals_count) == 1
