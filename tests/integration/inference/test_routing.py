"""The router: every object S3 announces on the ingest queue goes on to the queue of the
inference function sized for its tier, and only there (template.yaml, bgr_core.routing)."""

import json

import boto3

from bgr_core import jobs
from bgr_core.notifications import created_objects
from bgr_core.options import OutputOptions
from bgr_local.context import LambdaContext
from factories import s3_notification, sqs_event
from harness import TEMPLATE

LIGHT, MATTING = TEMPLATE.ref("LightInferenceQueue"), TEMPLATE.ref("MattingInferenceQueue")


def _route(event: dict) -> dict:
    from functions.ingest_router import app

    return app.handler(event, LambdaContext("IngestRouterFunction"))


def _keys(queue_url: str) -> list[str]:
    sqs = boto3.client("sqs")
    keys = []
    while got := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in got:
            keys += [created.key for created in created_objects(message["Body"])]
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return sorted(keys)


def test_an_upload_goes_to_the_function_of_its_tiers_class(inference, funded, photo_jpeg):
    funded("u1", 100)
    basic = jobs.create("u1", "basic", "a.jpg", options=OutputOptions())
    professional = jobs.create("u1", "professional", "b.jpg", options=OutputOptions())
    inference.put(basic.original_key, photo_jpeg)
    inference.put(professional.original_key, photo_jpeg)
    messages = inference.receive()  # what S3 sent to the ingest queue
    assert len(messages) == 2

    assert _route(inference.event(messages)) == {"batchItemFailures": []}
    assert _keys(LIGHT) == [basic.original_key]
    assert _keys(MATTING) == [professional.original_key]


def test_drops_go_by_the_tier_in_their_key_and_what_no_job_stands_for_to_the_light_function(aws):
    keys = [
        "drop/u1/industry/a.jpg",
        "drop/u1/standard/b.jpg",
        "drop/u1/gold/c.jpg",  # no such tier: the light function records the refused drop
        "uploads/x.jpg",  # no job: the light function leaves it alone
        "batches/u1/nobatch/000/d.jpg",
    ]
    assert _route(sqs_event(*(s3_notification(k) for k in keys))) == {"batchItemFailures": []}
    assert _keys(MATTING) == ["drop/u1/industry/a.jpg"]
    assert _keys(LIGHT) == sorted(set(keys) - {"drop/u1/industry/a.jpg"})


def test_a_message_announcing_two_objects_is_split_between_the_functions(aws):
    assert _route(sqs_event(s3_notification("drop/u1/basic/a.jpg", "drop/u1/professional/b.jpg")))
    assert _keys(LIGHT) == ["drop/u1/basic/a.jpg"] and _keys(MATTING) == ["drop/u1/professional/b.jpg"]


def test_s3s_test_event_is_forwarded_nowhere(aws):
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}
    assert _route(sqs_event(json.dumps(test_event))) == {"batchItemFailures": []}
    assert _keys(LIGHT) == [] and _keys(MATTING) == []
