"""Router: each object S3 announces on the ingest queue goes on to the queue of the inference
function sized for its tier (bgr_core.routing). It only forwards: charging, idempotency and
failure handling stay with the inference functions, and a forward repeated by a redelivery is
processed once there (idempotency on the object)."""

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bgr_core import aws, routing
from bgr_core.notifications import announcements

logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def process_record(record: SQSRecord) -> None:
    for created, body in announcements(record.body):
        inference_class = routing.object_class(created.key)
        aws.client("sqs").send_message(QueueUrl=routing.queue_url(inference_class), MessageBody=body)
        logger.info("routed", extra={"key": created.key, "to": inference_class})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=process_record, processor=processor, context=context
    )
