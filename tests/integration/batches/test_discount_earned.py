"""A batch's volume discount is earned by the images that arrived: when it settles it is re-priced
at their bracket and the difference to the up-front charge is refunded (never more is charged);
images that arrived and failed count toward the bracket and are refunded their own share. The
three worked examples, each ending with the ledger equal to the balance (the `aws` fixture checks
every user's ledger too)."""

from datetime import timedelta

from workflow import png, wait_for_zip

from bgr_core.money import credits
from bgr_core.platform import storage
from bgr_core.platform.models import utcnow
from bgr_core.work import batches, cancellation, lifecycle, settlement, upload_sweep
from bgr_core.work.batches import ImageSpec
from bgr_core.work.output_options import OutputOptions
from money import fund

USER = "buyer"
FUNDS = 10_000
LATER = timedelta(hours=1)


def declare(count: int, tier: str):
    fund(USER, FUNDS)
    images = [ImageSpec(filename=f"p{i}.jpg", contentType="image/jpeg", sizeBytes=1000) for i in range(count)]
    return batches.create(USER, tier, images, options=OutputOptions())


def arrive_and_complete(batch, item) -> None:
    storage.put_image(item.key, b"\xff\xd8\xff original", "image/jpeg")
    assert settlement.start_item(batch.id, item.index)
    key = storage.result_key(USER, f"{item.index:03d}", "png", folder=f"batches/{batch.id}")
    result = png(item.index)
    storage.put_image(key, result, "image/png")
    done = lifecycle.Completed(
        result_key=key, processed_size=len(result), model_name="u2netp", processing_time=300
    )
    assert lifecycle.end_item(batch.id, item.index, done)


def ledger() -> list[tuple[int, str]]:
    """(delta, reason) oldest first, the admin's funding left out."""
    entries = sorted(credits.ledger(USER, 1000), key=lambda e: e.seq)
    assert sum(int(e.delta) for e in entries) == credits.balance(USER) == int(entries[-1].balance_after)
    return [(int(e.delta), e.reason) for e in entries if e.reason != "admin_grant"]


def net() -> int:
    return credits.balance(USER) - FUNDS


def test_201_industry_declared_1_arrived_pays_the_single_image_price(aws):
    batch, items = declare(201, "industry")
    assert (batch.original_price, batch.discount_percentage, batch.credits_charged) == (5025, 20, 4020)
    arrive_and_complete(batch, items[0])
    upload_sweep.sweep(utcnow() + LATER)  # the other 200 never arrive
    done = wait_for_zip(batch.id)
    assert ledger() == [(-4020, "charge"), (3995, "settlement")] and net() == -25
    assert (done.arrived_images, done.discount_percentage, done.final_price) == (1, 0, 25)
    assert (done.status, int(done.credits_refunded)) == ("partial", 3995)


def test_60_standard_declared_45_arrived_are_repriced_at_5_percent(aws):
    batch, items = declare(60, "standard")
    assert (batch.discount_percentage, batch.credits_charged) == (10, 432)
    for item in items[:45]:
        arrive_and_complete(batch, item)
    cancellation.cancel_batch(USER, batch.id)  # the 15 that never came: cancelled, not waited for
    done = wait_for_zip(batch.id)
    assert ledger() == [(-432, "charge"), (90, "settlement")] and net() == -342  # 360 - 18
    assert (done.arrived_images, done.original_price, done.discount_percentage, done.final_price) == (
        45,
        360,
        5,
        342,
    )


def test_25_basic_all_arrived_3_corrupt_keep_the_bracket_and_refund_their_shares(aws):
    batch, items = declare(25, "basic")
    assert (batch.discount_percentage, batch.credits_charged) == (5, 72)
    shares = [int(i.share) for i in items]
    assert sum(shares) == 72 and shares[22:] == [2, 2, 2]
    for item in items[:22]:
        arrive_and_complete(batch, item)
    for item in items[22:]:  # arrived, and could not be decoded
        storage.put_image(item.key, b"not a jpeg", "image/jpeg")
        assert settlement.start_item(batch.id, item.index)
        assert lifecycle.end_item(
            batch.id, item.index, lifecycle.Failed("CORRUPT_IMAGE", "cannot be decoded")
        )
    done = wait_for_zip(batch.id)
    assert ledger() == [(-72, "charge"), (2, "refund"), (2, "refund"), (2, "refund")] and net() == -66
    assert (done.arrived_images, done.discount_percentage, done.final_price) == (25, 5, 72)


def test_one_of_twenty_arrived_loses_the_bracket_and_a_settled_batch_stays_settled(aws):
    batch, items = declare(20, "standard")  # 5 %: 152 up front
    arrive_and_complete(batch, items[0])
    cancellation.cancel_batch(USER, batch.id)
    wait_for_zip(batch.id)
    assert ledger() == [(-152, "charge"), (144, "settlement")] and net() == -8  # 1 image at 0 %
    late = lifecycle.Failed("CORRUPT_IMAGE", "late")
    assert lifecycle.end_item(batch.id, 0, late) is False  # settled: nothing more
