"""Batch items whose uploads never come, and batches cancelled by their owner: exact
refunds (quota at once; credits when the batch settles, re-priced by what arrived), the ZIP of
what finished, and races between the sweeper, the cancel and the items' workers."""

import io
import threading
import zipfile
from datetime import timedelta

import pytest
from workflow import png, wait_for_zip

import money
from bgr_core.money import credits, subscriptions
from bgr_core.platform import storage
from bgr_core.platform.dynamodb import transaction
from bgr_core.platform.errors import NotFound
from bgr_core.platform.models import Batch, LedgerEntry, utcnow
from bgr_core.work import batches, cancellation, lifecycle, settlement, upload_sweep
from bgr_core.work.batches import ImageSpec
from bgr_core.work.output_options import OutputOptions
from money import fund

LATER = timedelta(hours=1)


def new_batch(count: int, tier="standard", user="u1", grant=1000):
    if grant:
        fund(user, grant)
    images = [ImageSpec(filename=f"p{i}.jpg", contentType="image/jpeg", sizeBytes=1000) for i in range(count)]
    return batches.create(user, tier, images, options=OutputOptions())


def upload(item) -> None:
    """The original arrives (what the client's presigned POST does)."""
    storage.put_image(item.key, b"\xff\xd8\xff original", "image/jpeg")


def start(batch, index) -> None:
    assert settlement.start_item(batch.id, index)


def complete(batch, index) -> None:
    key = storage.result_key(batch.user_id, f"{index:03d}", "png", folder=f"batches/{batch.id}")
    result = png(index)
    storage.put_image(key, result, "image/png")
    lifecycle.end_item(
        batch.id,
        index,
        lifecycle.Completed(
            result_key=key, processed_size=len(result), model_name="u2netp", processing_time=300
        ),
    )


def refunds(user="u1") -> list[tuple[int, str]]:
    """Credits given back: a failed image's own share, or what a batch's settlement returned."""
    return sorted(
        (int(e.delta), e.reference) for e in LedgerEntry.query(user) if e.reason in ("refund", "settlement")
    )


def statuses(batch) -> list[tuple[str, str | None]]:
    return [(i.status, i.error_code) for i in batches.items(batch.id)]


def zip_members(batch) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(storage.get_bytes(batch.zip_key))).namelist()


def in_index() -> list[str]:
    return [k.id for s in range(upload_sweep.SHARDS) for k in Batch.pending_uploads.query(str(s))]


# -- deadlines ----------------------------------------------------------------------------
def test_items_never_uploaded_expire_and_the_batch_settles_partial_with_a_zip(aws):
    batch, items = new_batch(4)
    assert batch.final_price == 32 and in_index() == [batch.id]
    upload(items[0])
    start(batch, 0)
    complete(batch, 0)
    upload(items[1])  # arrived in time, still queued for the worker
    assert upload_sweep.sweep().items_expired == 0  # nothing before the deadline
    report = upload_sweep.sweep(utcnow() + LATER)
    assert (report.items_expired, report.waiting) == (2, 1)
    assert statuses(batch)[2:] == [("failed", "UPLOAD_EXPIRED")] * 2
    assert refunds() == []  # held until the batch settles: its price depends on what arrives
    assert in_index() == [batch.id]  # item 1 may still be processed
    start(batch, 1)
    complete(batch, 1)
    done = wait_for_zip(batch.id)
    assert (done.status, done.processed_images, done.failed_images, done.zip_status) == (
        "partial",
        2,
        2,
        "ready",
    )
    assert len(zip_members(done)) == 3  # two cutouts and the manifest
    upload_sweep.sweep(utcnow() + LATER)
    assert refunds() == [(16, f"batch:{batch.id}")]
    assert in_index() == [] and credits.balance("u1") == 1000 - 32 + 16


def test_a_batch_nothing_of_which_arrived_fails_fully_refunded(aws):
    batch, _ = new_batch(3)
    upload_sweep.sweep(utcnow() + LATER)
    upload_sweep.sweep(utcnow() + LATER)
    done = batches.get(batch.id)
    assert (done.status, done.failed_images, done.zip_status, int(done.credits_refunded)) == (
        "failed",
        3,
        None,
        24,
    )
    assert credits.balance("u1") == 1000 and in_index() == []


def test_quota_covered_items_go_back_to_the_days_quota(aws):
    sub = money.subscribe("u1", "starter")
    fund("u1", 1000)
    with transaction() as tx:  # 48 of the day's 50 already used
        for write in subscriptions.reserve(sub, subscriptions.today(), "basic", 48):
            write(tx)
    batch, items = new_batch(4, tier="basic", grant=0)
    assert [i.pricing_type for i in items] == ["subscription"] * 2 + ["credit"] * 2
    assert batch.credits_charged == 6 and credits.balance("u1") == 994
    upload_sweep.sweep(utcnow() + LATER)
    assert subscriptions.quota_use(sub, subscriptions.today()).used_total == 48
    assert credits.balance("u1") == 1000 and [d for d, _ in refunds()] == [6]


# -- cancel -------------------------------------------------------------------------------
def test_cancel_mid_batch_refunds_the_unstarted_and_zips_the_finished(aws):
    batch, items = new_batch(5)
    assert [int(i.share) for i in items] == [8] * 5
    for index in (0, 1):
        upload(items[index])
        start(batch, index)
    complete(batch, 0)  # 0 done, 1 running, 2-4 never started
    upload(items[2])  # arrived but not started: cancelled too
    cancelled = cancellation.cancel_batch("u1", batch.id)
    assert cancelled.cancelled_at is not None and cancelled.status == "processing"
    assert statuses(batch) == [("completed", None), ("processing", None)] + [("failed", "CANCELLED")] * 3
    assert refunds() == []  # when the batch settles
    assert not settlement.start_item(batch.id, 2)  # its worker finds it settled
    complete(batch, 1)  # the running item finishes
    done = wait_for_zip(batch.id)
    assert (done.status, done.processed_images, done.failed_images) == ("partial", 2, 3)
    assert len(zip_members(done)) == 3
    again = cancellation.cancel_batch("u1", batch.id)  # cancelling twice changes nothing
    assert (again.status, again.cancelled_at, int(again.credits_refunded)) == (
        "partial",
        done.cancelled_at,
        24,
    )
    assert refunds() == [(24, f"batch:{batch.id}")]
    assert credits.balance("u1") == 1000 - 40 + 24 and in_index() == []


def test_cancel_is_idempotent_while_items_run(aws):
    batch, _ = new_batch(2)
    start(batch, 0)
    first = cancellation.cancel_batch("u1", batch.id)
    second = cancellation.cancel_batch("u1", batch.id)
    assert first.cancelled_at == second.cancelled_at and second.failed_images == 1
    assert refunds() == []  # item 0 still runs: the batch settles when it ends


def test_cancel_gives_quota_back_and_credits_back(aws):
    sub = money.subscribe("u1", "pro")
    fund("u1", 1000)
    batch, _ = new_batch(3, tier="industry", grant=0)  # industry: always credits
    covered, _ = new_batch(3, tier="professional", grant=0)  # within the pro plan's 50
    assert covered.covered_by_subscription == 3 and credits.balance("u1") == 1000 - 75
    cancellation.cancel_batch("u1", batch.id)
    cancellation.cancel_batch("u1", covered.id)
    use = subscriptions.quota_use(sub, subscriptions.today())
    assert (use.used_total, use.used_professional) == (0, 0)
    assert credits.balance("u1") == 1000 and [d for d, _ in refunds()] == [75]


def test_another_users_batch_cannot_be_cancelled(aws):
    batch, _ = new_batch(2)
    with pytest.raises(NotFound):
        cancellation.cancel_batch("u2", batch.id)
    with pytest.raises(NotFound):
        cancellation.cancel_batch("u1", "missing")
    assert batches.get(batch.id).status == "pending" and refunds() == []


@pytest.mark.parametrize("run", range(3))
def test_cancel_sweeper_and_workers_race_and_every_item_settles_once(aws, run):
    batch, items = new_batch(12)
    for item in items[::2]:
        upload(item)  # half arrived; the rest never will
    gate = threading.Barrier(4)

    def worker(indexes):
        gate.wait()
        for index in indexes:
            if settlement.start_item(batch.id, index):
                complete(batch, index)

    def canceller():
        gate.wait()
        cancellation.cancel_batch("u1", batch.id)

    def sweeper():
        gate.wait()
        upload_sweep.sweep(utcnow() + LATER)

    threads = [
        threading.Thread(target=worker, args=(range(0, 12, 4),)),
        threading.Thread(target=worker, args=(range(2, 12, 4),)),
        threading.Thread(target=canceller),
        threading.Thread(target=sweeper),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = wait_for_zip(batch.id)
    settled = statuses(batch)
    assert all(status in ("completed", "failed") for status, _ in settled)
    failed = [i for i, (status, _) in enumerate(settled) if status == "failed"]
    assert {code for status, code in settled if status == "failed"} <= {"CANCELLED", "UPLOAD_EXPIRED"}
    assert refunds() == ([(8 * len(failed), f"batch:{batch.id}")] if failed else [])
    assert (done.processed_images, done.failed_images) == (12 - len(failed), len(failed))
    assert credits.balance("u1") == 1000 - 96 + 8 * len(failed)
