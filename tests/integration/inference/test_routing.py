"""The router: every object S3 announces on the ingest queue goes on to the queue of the
inference function sized for its tier, and only there (template.yaml, bgr_core.dispatch.tier_routing)."""

import json

import boto3

from bgr_core.work import batches, jobs
from bgr_core.work.batches import ImageSpec
from bgr_core.work.output_options import OutputOptions
from bgr_local.context import LambdaContext
from harness import TEMPLATE
from money import fund
from queues import announced_keys, receive, sqs_event


def _route(messages: list[dict]) -> dict:
    from functions.ingest_router import app

    return app.handler(sqs_event(messages, "IngestQueue"), LambdaContext("IngestRouterFunction"))


def _keys(queue: str) -> list[str]:
    """The keys the router forwarded to `queue`."""
    return announced_keys(receive(queue))


def _put(*keys: str) -> None:
    """Objects stored in the bucket: S3 announces each on the ingest queue."""
    for key in keys:
        boto3.client("s3").put_object(Bucket=TEMPLATE.name("ImagesBucket"), Key=key, Body=b"x")


def _send(body: str) -> None:
    boto3.client("sqs").send_message(QueueUrl=TEMPLATE.ref("IngestQueue"), MessageBody=body)


def test_an_upload_goes_to_the_function_of_its_tiers_class(inference, photo_jpeg):
    fund("u1", 100)
    basic = jobs.create("u1", "basic", "a.jpg", options=OutputOptions())
    professional = jobs.create("u1", "professional", "b.jpg", options=OutputOptions())
    inference.put(basic.original_key, photo_jpeg)
    inference.put(professional.original_key, photo_jpeg)
    messages = receive("IngestQueue")  # what S3 sent to the ingest queue
    assert len(messages) == 2

    assert _route(messages) == {"batchItemFailures": []}
    assert _keys("LightInferenceQueue") == [basic.original_key]
    assert _keys("MattingInferenceQueue") == [professional.original_key]


def test_drops_go_by_the_tier_in_their_key_and_what_no_job_stands_for_to_the_light_function(aws):
    keys = [
        "drop/u1/industry/a.jpg",
        "drop/u1/standard/b.jpg",
        "drop/u1/gold/c.jpg",  # no such tier: the light function records the refused drop
        "uploads/x.jpg",  # no job: the light function leaves it alone
        "batches/u1/nobatch/000/d.jpg",
    ]
    _put(*keys)
    assert _route(receive("IngestQueue")) == {"batchItemFailures": []}
    assert _keys("MattingInferenceQueue") == ["drop/u1/industry/a.jpg"]
    assert _keys("LightInferenceQueue") == sorted(set(keys) - {"drop/u1/industry/a.jpg"})


def test_a_message_announcing_two_objects_is_split_between_the_functions(aws):
    _put("drop/u1/basic/a.jpg", "drop/u1/professional/b.jpg")
    records = [r for m in receive("IngestQueue") for r in json.loads(m["Body"])["Records"]]
    _send(json.dumps({"Records": records}))
    assert _route(receive("IngestQueue")) == {"batchItemFailures": []}
    assert _keys("LightInferenceQueue") == ["drop/u1/basic/a.jpg"]
    assert _keys("MattingInferenceQueue") == ["drop/u1/professional/b.jpg"]


def test_s3s_test_event_is_forwarded_nowhere(aws):
    _send(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}))
    assert _route(receive("IngestQueue")) == {"batchItemFailures": []}
    assert _keys("LightInferenceQueue") == [] and _keys("MattingInferenceQueue") == []


def test_a_batchs_items_are_routed_on_one_read_of_its_tier(aws, monkeypatch):
    fund("u1", 100)
    images = [ImageSpec(filename=f"{i}.jpg", contentType="image/jpeg", sizeBytes=1000) for i in range(3)]
    batch, items = batches.create("u1", "professional", images, options=OutputOptions())
    reads = []
    read = batches.get
    monkeypatch.setattr(batches, "get", lambda batch_id: reads.append(batch_id) or read(batch_id))
    _put(*(item.key for item in items))
    assert _route(receive("IngestQueue")) == {"batchItemFailures": []}
    assert len(_keys("MattingInferenceQueue")) == 3 and reads == [batch.id]  # a tier never changes
