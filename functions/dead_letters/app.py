"""DLQ consumer: messages the inference function gave up on (failed images are refunded)."""

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bgr_core.dead_letters import give_up
from bgr_core.notifications import created_objects

logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def process_record(record: SQSRecord) -> None:
    for created in created_objects(record.body):
        logger.warning("giving up", extra={"key": created.key, "outcome": give_up(created)})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=process_record, processor=processor, context=context
    )
