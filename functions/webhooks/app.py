"""Webhook deliveries: one SQS message per final state of a job or batch with a callbackUrl
(integrations.webhook_delivery). A failed try is retried with backoff: the message's visibility is set to the
wait before the next try and the record is reported failed, so SQS brings it back then.

The deliveries of one batch are isolated: each may take its share of the invocation's remaining
time (what is left, less a margin, over the records still to go), so a receiver that never
answers fails its own delivery (retried) and the others are still delivered in this invocation.
"""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bgr_core.integrations import webhook_delivery
from bgr_core.platform import aws_clients, observability
from bgr_core.platform.config import get_settings
from bgr_core.platform.observability import logger

MARGIN_S = 2.0  # kept back for recording the outcomes and answering


class RetryLater(Exception):
    pass


class SharedTime(BatchProcessor):
    """A BatchProcessor that gives each record its share of the time the invocation has left."""

    def _prepare(self):
        super()._prepare()
        self.left = len(self.records)

    def share_s(self) -> float:
        remaining = self.lambda_context.get_remaining_time_in_millis() / 1000 - MARGIN_S
        share = max(remaining, 0.0) / max(self.left, 1)
        self.left -= 1
        return share


processor = SharedTime(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def process_record(record: SQSRecord) -> None:
    message = json.loads(record.body)
    attempt = int(record.attributes.approximate_receive_count or 1)
    result = webhook_delivery.deliver(
        message["kind"], message["id"], message["event"], attempt, timeout_s=processor.share_s()
    )
    logger.info(
        "webhook", extra={**message, "attempt": attempt, "outcome": result.status, "error": result.error}
    )
    if result.status == "retry":
        aws_clients.client("sqs").change_message_visibility(
            QueueUrl=get_settings().webhook_queue_url,
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=result.retry_in_s,
        )
        raise RetryLater(result.error)


@observability.handler
def handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=process_record, processor=processor, context=context
    )
