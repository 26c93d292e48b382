"""Inference: SQS records carrying S3 ObjectCreated events -> cutouts; or one job
invoked directly, `{"jobId"}`, for an image in a request that waits for its cutout.

Each object is processed once (powertools idempotency on DynamoDB, keyed by the object), and
a record fails alone (partial batch response) so only it is redelivered.
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

import ingest
from bgr_core.dispatch.s3_events import created_objects
from bgr_core.platform import observability
from bgr_core.platform.config import get_settings

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
idempotency = IdempotencyConfig(event_key_jmespath="[bucket, key, etag]", expires_after_seconds=24 * 3600)
persistence = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)


@idempotent_function(data_keyword_argument="created", config=idempotency, persistence_store=persistence)
def process_object(created: dict) -> dict:
    return ingest.process(created["key"], created["etag"]).as_dict()


def process_record(record: SQSRecord) -> None:
    observability.queue_age(record)
    for created in created_objects(record.body):
        process_object(created=created.model_dump())


@observability.handler
def handler(event: dict, context) -> dict:
    if "jobId" in event:  # a direct invoke (bgr_core.dispatch.sync_inference): one job, now
        return ingest.process_job(event["jobId"], event.get("image"), event.get("deadline"))
    idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=process_record, processor=processor, context=context
    )
