"""The template's SQS queues as tests see them: what a queue holds, and the event Lambda's event
source mapping makes of received messages (`bgr_local.workers.lambda_record`, the local runtime's
own), so functions are handed the records S3 and SQS really produced."""

import boto3

from bgr_core.dispatch.s3_events import created_objects
from bgr_local.workers import lambda_record
from harness import TEMPLATE


def receive(queue: str) -> list[dict]:
    """Every message `queue` (a logical id of the template) holds now, received: each stays
    invisible until deleted or until its visibility timeout ends."""
    sqs, messages = boto3.client("sqs"), []
    while got := sqs.receive_message(
        QueueUrl=TEMPLATE.ref(queue), MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    ).get("Messages", []):
        messages += got
    return messages


def sqs_event(messages: list[dict], queue: str) -> dict:
    """The event the function subscribed to `queue` gets for these messages."""
    return {"Records": [lambda_record(m, TEMPLATE.arn(queue), TEMPLATE.region) for m in messages]}


def announced_keys(messages: list[dict]) -> list[str]:
    """The object keys the S3 notifications among these messages announce, sorted."""
    return sorted(created.key for m in messages for created in created_objects(m["Body"]))
