"""Router: each object S3 announces on the ingest queue goes on to the queue of the inference
function sized for its tier (bgr_core.dispatch.tier_routing). It only forwards: charging, idempotency and
failure handling stay with the inference functions, and a forward repeated by a redelivery is
processed once there (idempotency on the object)."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bgr_core.dispatch import tier_routing
from bgr_core.dispatch.s3_events import announcements
from bgr_core.platform import aws_clients, observability
from bgr_core.platform.observability import logger

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def process_record(record: SQSRecord) -> None:
    observability.queue_age(record)
    for created, body in announcements(record.body):
        inference_class = tier_routing.object_class(created.key)
        aws_clients.client("sqs").send_message(
            QueueUrl=tier_routing.queue_url(inference_class), MessageBody=body
        )
        logger.info("routed", extra={"key": created.key, "to": inference_class})


@observability.handler
def handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=process_record, processor=processor, context=context
    )
