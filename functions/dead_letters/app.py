"""DLQ consumer: messages the inference function gave up on (failed images are refunded)."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bgr_core.dispatch.s3_events import created_objects
from bgr_core.platform import observability
from bgr_core.platform.observability import logger
from bgr_core.work.dead_letters import give_up

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def process_record(record: SQSRecord) -> None:
    observability.queue_age(record)
    for created in created_objects(record.body):
        logger.warning("giving up", extra={"key": created.key, "outcome": give_up(created)})


@observability.handler
def handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=process_record, processor=processor, context=context
    )
