"""Every way a record ends announces its webhook once and counts it once (bgr_core.work.lifecycle):
the upload sweeper, the worker given a late original, cancel, the DLQ consumer and a direct
invoke that fails, each run twice or raced with another, against moto."""

import json
from datetime import timedelta

import emf
import pytest

from bgr_core.dispatch import sync_inference
from bgr_core.money import credits
from bgr_core.platform import storage
from bgr_core.platform.models import Job, utcnow
from bgr_core.work import cancellation, jobs, settlement, upload_deadlines, upload_sweep
from bgr_core.work.batches import ImageSpec, create
from bgr_core.work.output_options import OutputOptions
from bgr_local.context import LambdaContext
from money import fund
from queues import receive, sqs_event

LATER = timedelta(hours=1)  # past any upload form and its grace
HOOK = "http://127.0.0.1:9999/hooks"


@pytest.fixture
def hooks(aws, settings_env):
    """Callbacks to loopback allowed (nothing is delivered here: the queue is what is checked)."""
    settings_env(
        WEBHOOK_ALLOW_HTTP="true",
        OUTBOUND_ALLOW_NETWORKS='["127.0.0.0/8"]',
        OUTBOUND_ALLOW_PORTS='["1024-65535"]',
    )


def announced() -> list[tuple[str, str, str]]:
    """(kind, id, event) of every delivery queued so far."""
    bodies = [json.loads(m["Body"]) for m in receive("WebhookQueue")]
    return sorted((b["kind"], b["id"], b["event"]) for b in bodies)


def new_job(**kwargs) -> Job:
    fund("u1", 10)
    return jobs.create("u1", "basic", "photo.jpg", options=OutputOptions(), callback_url=HOOK, **kwargs)


def new_batch(count: int):
    fund("u1", 100)
    images = [ImageSpec(filename=f"p{i}.jpg", contentType="image/jpeg", sizeBytes=1000) for i in range(count)]
    batch, _ = create("u1", "standard", images, options=OutputOptions(), callback_url=HOOK)
    return batch


def failures(published) -> list[tuple[dict, float]]:
    return emf.named(published(), "ImagesProcessed")


def test_an_expired_job_is_announced_once(hooks, monkeypatch, capsys):
    published = emf.capture(monkeypatch, capsys)
    job = new_job()
    for _ in range(2):  # a second run of the schedule finds it settled
        upload_sweep.sweep(utcnow() + LATER)
    assert Job.get(job.id).error_code == upload_sweep.CODE
    assert announced() == [("job", job.id, "job.failed")]
    assert failures(published) == [({"tier": "basic", "outcome": "failed"}, 1)]
    assert credits.balance("u1") == 10


def test_a_batch_whose_uploads_all_expire_is_announced_once(hooks):
    batch = new_batch(2)
    for _ in range(2):
        upload_sweep.sweep(utcnow() + LATER)
    assert announced() == [("batch", batch.id, "batch.failed")]
    assert credits.balance("u1") == 100


def test_a_late_original_is_announced_once_whoever_settles_it(
    hooks, inference, photo_jpeg, monkeypatch, capsys
):
    published = emf.capture(monkeypatch, capsys)
    monkeypatch.setattr(upload_deadlines, "clock", lambda: utcnow() - LATER)  # its form was given an hour ago
    job = new_job()
    inference.put(job.original_key, photo_jpeg)
    assert inference.run() == {"batchItemFailures": []}
    upload_sweep.sweep(utcnow() + LATER)  # the sweeper comes too
    assert Job.get(job.id).error_code == upload_sweep.CODE
    assert announced() == [("job", job.id, "job.failed")]
    assert failures(published) == [({"tier": "basic", "outcome": "failed"}, 1)]


def test_a_cancelled_batch_is_announced_once(hooks, monkeypatch, capsys):
    batch = new_batch(3)
    published = emf.capture(monkeypatch, capsys)
    for _ in range(2):
        cancellation.cancel_batch("u1", batch.id)
    upload_sweep.sweep(utcnow() + LATER)  # nothing left for the sweeper
    assert announced() == [("batch", batch.id, "batch.failed")]
    got = published()
    assert emf.named(got, "ImagesProcessed") == [({"tier": "standard", "outcome": "failed"}, 1)] * 3
    assert emf.named(got, "BatchesFinished") == [
        ({"tier": "standard", "outcome": "failed", "zip": "none"}, 1)
    ]


def test_a_dead_lettered_job_and_batch_item_are_announced_once(hooks, inference, photo_jpeg):
    from functions.dead_letters import app as dead_letters

    job = new_job()
    batch = new_batch(1)
    assert jobs.start(job) and settlement.start_item(batch.id, 0)  # a worker died on each
    inference.put(job.original_key, photo_jpeg)
    inference.put(storage.batch_item_key("u1", batch.id, 0, "p0.jpg"), photo_jpeg)
    dead = receive("IngestQueue")  # what reaches the DLQ after the last retry
    for _ in range(2):  # the DLQ consumer may get it twice
        event = sqs_event(dead, "IngestDeadLetterQueue")
        assert dead_letters.handler(event, LambdaContext("DeadLetterFunction")) == {"batchItemFailures": []}
    assert Job.get(job.id).error_code == "PROCESSING_FAILED"
    assert announced() == sorted([("job", job.id, "job.failed"), ("batch", batch.id, "batch.failed")])
    assert credits.balance("u1") == 110


def test_a_direct_invoke_that_fails_is_announced_once(hooks, photo_jpeg, monkeypatch, capsys):
    published = emf.capture(monkeypatch, capsys)
    job_id = "d" * 32
    job = new_job(original_key=storage.direct_key("u1", job_id, "photo.jpg"), job_id=job_id)
    with pytest.raises(sync_inference.CutoutFailed):  # no inference function is deployed on moto
        sync_inference.run(job, photo_jpeg, "image/jpeg")
    assert Job.get(job.id).error_code == "INFERENCE_FAILED"
    assert announced() == [("job", job.id, "job.failed")]
    assert failures(published) == [({"tier": "basic", "outcome": "failed"}, 1)]
    assert credits.balance("u1") == 10
