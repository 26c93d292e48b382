"""Inference: SQS records carrying S3 ObjectCreated events -> cutouts; or one job
invoked directly, `{"jobId"}`, for an image in a request that waits for its cutout.

Each object is processed once (powertools idempotency on DynamoDB, keyed by the object), and
a record fails alone (partial batch response) so only it is redelivered.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

import ingest
from bgr_core.config import get_settings
from bgr_core.notifications import created_objects

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
idempotency = IdempotencyConfig(event_key_jmespath="[bucket, key, etag]", expires_after_seconds=24 * 3600)
persistence = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)


@idempotent_function(data_keyword_argument="created", config=idempotency, persistence_store=persistence)
def process_object(created: dict) -> dict:
    outcome = ingest.process(created["bucket"], created["key"], created["etag"])
    metrics.add_metric(name=f"Images{outcome.status.capitalize()}", unit="Count", value=1)
    return outcome.as_dict()


def process_record(record: SQSRecord) -> None:
    for created in created_objects(record.body):
        process_object(created=created.model_dump())


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    if "jobId" in event:  # a direct invoke (bgr_core.direct): one job, now
        return ingest.process_job(event["jobId"], event.get("image"))
    idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=process_record, processor=processor, context=context
    )
