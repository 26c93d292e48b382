"""Webhook deliveries: one SQS message per final state of a job or batch with a callbackUrl
(bgr_core.webhook_delivery). A failed try is retried with backoff: the message's visibility is set to the
wait before the next try and the record is reported failed, so SQS brings it back then."""

import json

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bgr_core import aws, webhook_delivery
from bgr_core.config import get_settings

logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class RetryLater(Exception):
    pass


def process_record(record: SQSRecord) -> None:
    message = json.loads(record.body)
    attempt = int(record.attributes.approximate_receive_count or 1)
    result = webhook_delivery.deliver(message["kind"], message["id"], message["event"], attempt)
    logger.info(
        "webhook", extra={**message, "attempt": attempt, "outcome": result.status, "error": result.error}
    )
    if result.status == "retry":
        aws.client("sqs").change_message_visibility(
            QueueUrl=get_settings().webhook_queue_url,
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=result.retry_in_s,
        )
        raise RetryLater(result.error)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=process_record, processor=processor, context=context
    )
