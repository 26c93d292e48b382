"""One user's images in flight (charged, not yet ended) are capped: the charge that would pass the
cap is refused with nothing written, concurrent charges never pass it together, and every way an
image ends (completed, failed, expired, cancelled, given up on) takes it off once."""

import threading
import uuid

import pytest

from bgr_core.dispatch.s3_events import CreatedObject
from bgr_core.money import credits
from bgr_core.money.credits import TooManyInFlight
from bgr_core.platform.models import CreditAccount, Job
from bgr_core.work import batches, cancellation, dead_letters, jobs, lifecycle, settlement, upload_sweep
from bgr_core.work.output_options import OutputOptions
from concurrency import on_threads
from money import fund, subscribe

DONE = {"result_key": "results/x.png", "processed_size": 1, "model_name": "u2netp", "processing_time": 1}


@pytest.fixture
def cap(aws, settings_env):
    settings_env(MAX_IMAGES_IN_FLIGHT="5")
    return 5


def in_flight(user="u1") -> int:
    account = CreditAccount.get(user, consistent_read=True)
    return int(account.in_flight)


def new_job(user="u1", tier="basic") -> Job:
    return jobs.create(user, tier, "a.png", options=OutputOptions())


def new_batch(count: int, user="u1"):
    images = [
        batches.ImageSpec(filename=f"{i}.png", content_type="image/png", size_bytes=10) for i in range(count)
    ]
    return batches.create(user, "basic", images, options=OutputOptions())


def test_concurrent_charges_never_pass_the_cap_and_the_refused_write_nothing(cap):
    fund("u1", 1000)
    made, refused = [], []

    def charge(_):
        try:
            made.append(new_job())
        except TooManyInFlight as exc:
            refused.append(exc)

    on_threads(12, charge)
    assert (len(made), len(refused)) == (cap, 12 - cap)
    assert in_flight() == cap
    assert credits.balance("u1") == 1000 - 3 * cap  # basic: 3 credits each, only for what was made
    assert len(list(Job.scan())) == cap
    assert {exc.status for exc in refused} == {429}
    assert all(exc.details["headers"]["Retry-After"].isdigit() for exc in refused)


def test_a_batch_counts_each_image_and_is_refused_whole_beyond_the_cap(cap):
    fund("u1", 1000)
    new_batch(3)
    with pytest.raises(TooManyInFlight):
        new_batch(3)  # 3 + 3 > 5
    assert in_flight() == 3 and credits.balance("u1") == 1000 - 9
    new_job(), new_job()
    with pytest.raises(TooManyInFlight):
        new_job()
    assert in_flight() == cap


def test_images_the_quota_pays_for_count_too(cap):
    subscribe("u1", "pro")  # no credits at all
    for _ in range(cap):
        assert new_job().pricing_type == "subscription"
    with pytest.raises(TooManyInFlight):
        new_job()
    assert in_flight() == cap and credits.balance("u1") == 0


def test_every_way_a_single_image_ends_takes_it_off_once(cap):
    fund("u1", 1000)
    completed, failed, expired, given_up = (new_job() for _ in range(4))
    assert in_flight() == 4

    assert jobs.start(completed)
    assert lifecycle.end_job(completed, lifecycle.Completed(**DONE))
    assert not lifecycle.end_job(completed, lifecycle.Completed(**DONE))  # a redelivery
    assert in_flight() == 3

    assert lifecycle.end_job(failed, lifecycle.Failed("CORRUPT_IMAGE", "bad"))
    assert not lifecycle.end_job(failed, lifecycle.Failed("CORRUPT_IMAGE", "bad"))
    assert in_flight() == 2

    assert upload_sweep.expire_job(expired) and not upload_sweep.expire_job(expired)
    assert in_flight() == 1

    target = CreatedObject(key=given_up.original_key, etag="e", size=1, bucket="b")
    assert dead_letters.give_up(target) == "job failed"
    assert dead_letters.give_up(target) == "job already failed"
    assert in_flight() == 0
    assert credits.balance("u1") == 1000 - 3  # only the completed one stays paid


def test_every_way_a_batch_item_ends_takes_it_off_once(cap):
    fund("u1", 1000)
    batch, _ = new_batch(5)
    assert in_flight() == 5
    assert settlement.start_item(batch.id, 0)
    assert lifecycle.end_item(batch.id, 0, lifecycle.Completed(**DONE))
    assert not lifecycle.end_item(batch.id, 0, lifecycle.Completed(**DONE))
    assert settlement.start_item(batch.id, 1)
    assert lifecycle.end_item(batch.id, 1, lifecycle.Failed("CORRUPT_IMAGE", "bad"))
    assert upload_sweep.expire_item(batch.id, 2) and not upload_sweep.expire_item(batch.id, 2)
    assert in_flight() == 2
    assert new_job() and in_flight() == 3  # the room the ended items left
    cancellation.cancel_batch("u1", batch.id)  # items 3 and 4, not started
    cancellation.cancel_batch("u1", batch.id)
    assert in_flight() == 1


def test_ending_races_take_an_image_off_exactly_once(cap):
    """The worker, the sweeper and cancel ending the same items on threads: each item once."""
    fund("u1", 1000)
    batch, _ = new_batch(5)
    start = threading.Barrier(3)

    def end(action):
        start.wait()
        for index in range(5):
            action(index)

    actions = [
        lambda i: upload_sweep.expire_item(batch.id, i),
        lambda i: lifecycle.end_item(batch.id, i, lifecycle.Failed("CANCELLED", "x"), only=("pending",)),
        lambda i: lifecycle.end_item(batch.id, i, lifecycle.Failed("PROCESSING_FAILED", "x")),
    ]
    threads = [threading.Thread(target=end, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert in_flight() == 0
    assert credits.balance("u1") == 1000


def test_another_users_images_leave_room_for_this_one(cap):
    fund("u1", 1000), fund("u2", 1000)
    for _ in range(cap):
        new_job("u1")
    assert new_job("u2").user_id == "u2" and in_flight("u2") == 1
    with pytest.raises(TooManyInFlight):
        new_job("u1")


def test_the_cap_refuses_before_a_job_id_is_used(cap):
    fund("u1", 1000)
    for _ in range(cap):
        new_job()
    job_id = uuid.uuid4().hex
    with pytest.raises(TooManyInFlight):
        jobs.create("u1", "basic", "a.png", options=OutputOptions(), job_id=job_id)
    assert jobs.get(job_id) is None
