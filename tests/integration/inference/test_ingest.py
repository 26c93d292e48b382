"""The inference function against moto: real S3 notifications, real SQS messages, real u2netp."""

import io
import json

import numpy as np
import pytest
from botocore.exceptions import ClientError
from PIL import Image

from bgr_core.money import credits
from bgr_core.platform import storage
from bgr_core.platform.models import Job, LedgerEntry
from bgr_core.work import jobs
from bgr_core.work.output_options import OutputOptions
from bgr_local.context import LambdaContext
from money import fund
from queues import receive, sqs_event


def alpha_fraction(img: Image.Image) -> float:
    return float((np.asarray(img.getchannel("A")) > 127).mean())


def new_job(user="u1", tier="basic", options=None, filename="photo.jpg"):
    return jobs.create(user, tier, filename, options=options or OutputOptions())


@pytest.mark.slow
def test_upload_is_cut_out_and_the_job_completed(inference, photo_jpeg):
    fund("u1")
    job = new_job()
    inference.put(job.original_key, photo_jpeg)
    response = inference.run()
    assert response == {"batchItemFailures": []}
    done = Job.get(job.id)
    assert (done.status, done.model_name, done.pricing_type, done.credits_used) == (
        "completed",
        "u2netp",
        "credit",
        3,
    )
    assert done.processing_time > 0 and done.completed_at and done.original_size == len(photo_jpeg)
    cutout = inference.image(done.result_key)
    assert (cutout.format, cutout.mode, cutout.size) == ("PNG", "RGBA", (512, 512))
    assert 0.1 < alpha_fraction(cutout) < 0.9  # keeps the subject, drops the background
    thumb = inference.image(done.thumbnail_key)
    assert thumb.format == "WEBP" and max(thumb.size) == 256
    head = inference.s3.head_object(Bucket=inference.bucket, Key=done.result_key)
    assert head["ContentType"] == "image/png" and done.processed_size == head["ContentLength"]


@pytest.mark.slow
def test_options_travel_with_the_job(inference, cat_png):
    fund("u1")
    job = new_job(options=OutputOptions(format="webp", bg_color="#ffffff", crop=True, margin=4))
    inference.put(job.original_key, cat_png)
    inference.run()
    done = Job.get(job.id)
    result = inference.image(done.result_key)
    assert done.result_key.endswith(".webp") and result.format == "WEBP" and result.mode == "RGB"
    assert result.size != (451, 300)  # cropped to the cat


@pytest.mark.slow
def test_same_message_three_times_one_result_one_charge(inference, photo_jpeg):
    fund("u1")
    job = new_job()
    inference.put(job.original_key, photo_jpeg)
    message = receive("IngestQueue")
    for _ in range(3):
        assert inference.invoke(message) == {"batchItemFailures": []}
    assert len(inference.keys(f"results/u1/{job.id}")) == 1
    assert credits.balance("u1") == 97
    assert [e.reason for e in LedgerEntry.query("u1")] == ["admin_grant", "charge"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "EMPTY_FILE"),
        (b"hello, I am text and not a picture at all", "NOT_AN_IMAGE"),
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "NOT_AN_IMAGE"),
        (b"<!doctype html><html><body>hi</body></html>", "NOT_AN_IMAGE"),
    ],
)
def test_bad_input_fails_the_job_refunds_it_and_writes_nothing(inference, body, code):
    fund("u1")
    job = new_job()
    inference.put(job.original_key, body)
    assert inference.run() == {"batchItemFailures": []}  # permanent: not retried
    failed = Job.get(job.id)
    assert (failed.status, failed.error_code) == ("failed", code) and failed.error_message
    assert credits.balance("u1") == 100
    assert inference.keys("results/") == [] and inference.keys("thumbs/") == []


def test_truncated_jpeg_fails_cleanly(inference, photo_jpeg):
    fund("u1")
    job = new_job()
    inference.put(job.original_key, photo_jpeg[: len(photo_jpeg) // 2])
    inference.run()
    assert Job.get(job.id).error_code == "CORRUPT_IMAGE" and credits.balance("u1") == 100


@pytest.mark.slow
def test_ten_records_two_poison(inference, photo_jpeg):
    fund("u1", 1000)
    created = [new_job() for _ in range(10)]
    for i, job in enumerate(created):
        inference.put(job.original_key, b"not an image" if i in (3, 7) else photo_jpeg)
    messages = receive("IngestQueue")
    assert len(messages) == 10
    assert inference.invoke(messages) == {"batchItemFailures": []}
    statuses = [Job.get(j.id).status for j in created]
    assert statuses.count("completed") == 8 and [statuses[3], statuses[7]] == ["failed", "failed"]
    assert len(inference.keys("results/")) == 8
    assert credits.balance("u1") == 1000 - 8 * 3


def test_transient_error_is_retried_then_dead_lettered_and_refunded(inference, photo_jpeg, monkeypatch):
    from functions.dead_letters import app as dead_letters

    fund("u1")
    job = new_job()
    inference.put(job.original_key, photo_jpeg)

    def throttled(key):
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "slow down"}}, "GetObject")

    monkeypatch.setattr(storage, "get_bytes", throttled)
    for _attempt in range(3):  # maxReceiveCount in template.yaml
        messages = receive("IngestQueue")
        assert len(messages) == 1
        response = inference.invoke(messages)
        assert response == {"batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]}
        inference.sqs.change_message_visibility(
            QueueUrl=inference.queue_url, ReceiptHandle=messages[0]["ReceiptHandle"], VisibilityTimeout=0
        )
    assert receive("IngestQueue") == []  # moved to the DLQ on the next receive
    dead = receive("IngestDeadLetterQueue")
    assert len(dead) == 1
    assert Job.get(job.id).status == "processing"  # what the dead attempts left
    for _ in range(2):  # the DLQ consumer may see it twice: refunded once
        result = dead_letters.handler(
            sqs_event(dead, "IngestDeadLetterQueue"), LambdaContext("DeadLetterFunction")
        )
        assert result == {"batchItemFailures": []}
    failed = Job.get(job.id)
    assert (failed.status, failed.error_code) == ("failed", "PROCESSING_FAILED")
    assert credits.balance("u1") == 100


@pytest.mark.slow
def test_drop_folder_creates_charges_and_processes(inference, photo_jpeg):
    fund("u1")
    inference.put("drop/u1/standard/holiday photo.jpg", photo_jpeg)
    inference.run()
    (job,) = Job.by_user.query("u1")
    assert (job.source, job.status, job.tier, job.credits_used) == ("drop", "completed", "standard", 8)
    assert job.model_name == "u2netp"  # isnet-general-use is not provisioned here: the fallback ran
    assert job.result_key.startswith("results/u1/drop/")
    assert credits.balance("u1") == 92


def test_drop_without_credits_gets_a_failed_job_and_no_charge(inference, photo_jpeg):
    inference.put("drop/u2/basic/a.png", photo_jpeg)
    inference.put("drop/u2/platinum/b.png", photo_jpeg)
    assert inference.run() == {"batchItemFailures": []}
    failed = {j.filename: j for j in Job.by_user.query("u2")}
    assert failed["a.png"].status == "failed" and failed["a.png"].error_code == "INSUFFICIENT_CREDITS"
    assert failed["b.png"].error_code == "BAD_REQUEST" and "platinum" in failed["b.png"].error_message
    assert credits.balance("u2") == 0 and inference.keys("results/") == []
    assert list(LedgerEntry.query("u2")) == []


def test_s3_test_event_is_skipped(inference):
    message = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": inference.bucket}
    inference.sqs.send_message(QueueUrl=inference.queue_url, MessageBody=json.dumps(message))
    assert inference.run() == {"batchItemFailures": []}
    assert list(Job.scan()) == []


def test_object_for_no_job_is_left_alone(inference, photo_jpeg):
    inference.put("uploads/u1/nojob/x.jpg", photo_jpeg)
    assert inference.run() == {"batchItemFailures": []}
    assert inference.keys("results/") == []


@pytest.mark.slow
def test_key_with_spaces_and_unicode_is_decoded(inference, photo_jpeg):
    fund("u1")
    job = new_job(filename="foto liburan é+1.jpg")
    inference.put(job.original_key, photo_jpeg)
    inference.run()
    assert Job.get(job.id).status == "completed"


@pytest.mark.slow
def test_cmyk_and_exif_rotated_inputs_process(inference):
    fund("u1")
    cmyk = io.BytesIO()
    Image.new("CMYK", (64, 48), (0, 128, 255, 0)).save(cmyk, "JPEG")
    rotated = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    Image.new("RGB", (80, 40), "red").save(rotated, "JPEG", exif=exif)
    a, b = new_job(), new_job()
    inference.put(a.original_key, cmyk.getvalue())
    inference.put(b.original_key, rotated.getvalue())
    inference.run()
    assert inference.image(Job.get(a.id).result_key).size == (64, 48)
    assert inference.image(Job.get(b.id).result_key).size == (40, 80)


@pytest.mark.slow
def test_batch_items_are_processed_and_a_corrupt_one_refunded(inference, photo_jpeg):
    from bgr_core.work import batches
    from bgr_core.work.batches import ImageSpec

    fund("u1")
    specs = [
        ImageSpec(filename=f"p{i}.jpg", contentType="image/jpeg", sizeBytes=len(photo_jpeg)) for i in range(3)
    ]
    batch, items = batches.create("u1", "basic", specs, options=OutputOptions())
    assert credits.balance("u1") == 91
    for item in items:
        inference.put(item.key, b"garbage" if item.index == 1 else photo_jpeg)
    assert inference.run() == {"batchItemFailures": []}
    settled = {i.index: i for i in batches.items(batch.id)}
    assert [settled[i].status for i in range(3)] == ["completed", "failed", "completed"]
    assert settled[1].error_code == "NOT_AN_IMAGE" and credits.balance("u1") == 94
    assert inference.image(settled[0].result_key).mode == "RGBA"
    done = batches.get(batch.id)
    assert (done.processed_images, done.failed_images, done.status) == (2, 1, "partial")


def test_an_object_over_10_mb_is_refused_without_being_read(inference, monkeypatch):
    fund("u1")
    job = new_job()
    inference.put(job.original_key, b"\xff\xd8\xff" + bytes(10 * 1024 * 1024))
    monkeypatch.setattr(storage, "get_bytes", lambda key: pytest.fail("a too-large object was downloaded"))
    assert inference.run() == {"batchItemFailures": []}
    failed = Job.get(job.id)
    assert (failed.status, failed.error_code) == ("failed", "TOO_LARGE") and credits.balance("u1") == 100
    assert failed.error_message == "10.1 MB is over the 10 MB limit"


def test_keys_that_stand_for_nothing_are_left_alone_not_retried(inference, photo_jpeg):
    from functions.dead_letters import app as dead_letters

    inference.put("uploads/stray.jpg", photo_jpeg)
    inference.put("batches/u1/nobatch/000/a.jpg", photo_jpeg)
    messages = receive("IngestQueue")
    assert inference.invoke(messages) == {"batchItemFailures": []}
    dead = dead_letters.handler(
        sqs_event(messages, "IngestDeadLetterQueue"), LambdaContext("DeadLetterFunction")
    )
    assert dead == {"batchItemFailures": []}
    assert inference.keys("results/") == []


def test_an_upload_larger_than_declared_fails_and_is_refunded(inference, photo_jpeg):
    """The upload form admits no more than the declared size; S3 enforces it, moto does not, so
    the worker is what refuses a larger original."""
    from bgr_core.work import batches
    from bgr_core.work.batches import ImageSpec

    fund("u1")
    job = jobs.create("u1", "basic", "a.jpg", options=OutputOptions(), size_bytes=len(photo_jpeg) - 1)
    specs = [
        ImageSpec(filename=f"p{i}.jpg", contentType="image/jpeg", sizeBytes=len(photo_jpeg) - i)
        for i in range(2)
    ]
    batch, items = batches.create("u1", "basic", specs, options=OutputOptions())
    assert credits.balance("u1") == 91
    inference.put(job.original_key, photo_jpeg)
    for item in items:
        inference.put(item.key, photo_jpeg)
    assert inference.run() == {"batchItemFailures": []}
    failed = Job.get(job.id)
    assert (failed.status, failed.error_code) == (
        "failed",
        "TOO_LARGE",
    ) and "declared" in failed.error_message
    settled = {i.index: i for i in batches.items(batch.id)}
    assert (settled[0].status, settled[1].status, settled[1].error_code) == (
        "completed",
        "failed",
        "TOO_LARGE",
    )
    assert credits.balance("u1") == 100 - 3  # the job and item 1 refunded; item 0 (as declared) paid
    assert inference.keys(f"results/u1/{job.id}") == []


def test_a_direct_invoke_runs_its_job_once_and_leaves_an_awaited_upload_alone(inference, photo_jpeg):
    """`{"jobId", "image"}` (dispatch.sync_inference): the job starts in the write that reads it, is cut
    out from the payload, and a second invoke of it, finished, runs nothing; a job still awaiting
    its presigned upload, or none at all, is not started (nor created) by that write."""
    import base64

    fund("u1")
    job = jobs.create(
        "u1",
        "basic",
        "photo.jpg",
        options=OutputOptions(),
        original_key=storage.direct_key("u1", "j1", "photo.jpg"),
        job_id="j1",
    )
    payload = {"jobId": job.id, "image": base64.b64encode(photo_jpeg).decode()}
    answer = inference.module.handler(payload, LambdaContext("LightInferenceFunction"))
    done = Job.get(job.id)
    assert answer["status"] == "completed" and answer["resultKey"] == done.result_key
    assert (done.status, done.credits_used, done.original_size) == ("completed", 3, len(photo_jpeg))
    assert (
        done.started_at
        and base64.b64decode(answer["image"])
        == inference.s3.get_object(Bucket=inference.bucket, Key=done.result_key)["Body"].read()
    )
    again = inference.module.handler(payload, LambdaContext("LightInferenceFunction"))
    assert again["status"] == "skipped" and Job.get(job.id).completed_at == done.completed_at
    assert credits.balance("u1") == 100 - 3

    awaited = new_job()  # a presigned upload, whose original has not come: left to the queued path
    assert jobs.start_present(awaited.id) is None and Job.get(awaited.id).status == "pending"
    assert jobs.start_present("nope") is None and Job.count() == 2
    assert inference.module.handler({"jobId": "nope"}, LambdaContext("x"))["status"] == "skipped"
