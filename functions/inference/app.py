"""Inference: SQS records carrying S3 ObjectCreated events -> cutouts (SPEC §1, §8); or one job
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
    _count_image(outcome.status)
    return outcome.as_dict()


def _count_image(status: str) -> None:
    metrics.add_metric(name=f"Images{status.capitalize()}", unit="Count", value=1)


def process_record(record: SQSRecord) -> None:
    for created in created_objects(record.body):
        process_object(created=created.model_dump())


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    # Every invocation publishes a metric (so log_metrics never flushes an empty set): a direct
    # invoke its image's outcome, a batch how many records came (a redelivery replayed from the
    # idempotency store, or S3's test event, processes no image).
    if "jobId" in event:  # a direct invoke (bgr_core.direct): one job, now
        answer = ingest.process_job(event["jobId"], event.get("image"))
        _count_image(answer["status"])
        return answer
    metrics.add_metric(name="Records", unit="Count", value=len(event.get("Records", [])))
    idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=process_record, processor=processor, context=context
    )
