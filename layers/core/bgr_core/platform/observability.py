"""Logs, traces and metrics, set up once for every function (Powertools). The service name and
the metrics namespace come from the template's Globals (POWERTOOLS_SERVICE_NAME,
POWERTOOLS_METRICS_NAMESPACE); docs/operations.md lists the metrics and alarms.

Business metrics are published where their event happens, each as an EMF record of its own:
Powertools' shared `Metrics` keeps one dimension set for everything it flushes, and these
metrics each need their own (tier and outcome, failure code, queue).
"""

import time
import warnings
from collections.abc import Callable

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

logger = Logger()
tracer = Tracer()
metrics = Metrics()

# Most invocations publish through `emit`, not the shared set, which is then empty at the flush.
warnings.filterwarnings("ignore", message="No application metrics to publish")

# The balance changes credits.apply makes, by ledger reason.
CREDIT_METRICS = {
    "charge": "CreditsCharged",
    "refund": "CreditsRefunded",
    "settlement": "CreditsRefunded",  # a batch re-priced by what arrived gives the difference back
    "admin_grant": "CreditsGranted",
    "pack_purchase": "CreditsPurchased",
    "pack_refund": "CreditsTakenBack",
}

clock: Callable[[], float] = time.time  # seconds since the epoch; tests replace it


def handler(function: Callable | None = None, *, correlation_id_path: str | None = None):
    """A Lambda entry point with structured logs carrying the invocation's context (cold_start,
    function_name, request id), an X-Ray segment and the metrics flushed at its end:
    `@observability.handler` or `@observability.handler(correlation_id_path=...)`."""

    def wrap(entry: Callable) -> Callable:
        # Powertools publishes its ColdStart metric even when metrics are disabled (tests, local).
        flushed = metrics.log_metrics(entry, capture_cold_start_metric=not is_metrics_disabled())
        # responses carry presigned URLs and inline images: not for trace metadata
        traced = tracer.capture_lambda_handler(flushed, capture_response=False)
        return logger.inject_lambda_context(traced, correlation_id_path=correlation_id_path)

    return wrap(function) if function is not None else wrap


def emit(name: str, value: float = 1, unit: MetricUnit = MetricUnit.Count, **dimensions: str) -> None:
    """Publishes one metric now, with `dimensions` (besides the service) as its only dimensions."""
    record = EphemeralMetrics()
    for dimension, dimension_value in dimensions.items():
        record.add_dimension(name=dimension, value=str(dimension_value))
    record.add_metric(name=name, unit=unit, value=value)
    record.flush_metrics()


def image_finished(tier: str, outcome: str, code: str | None = None) -> None:
    """An image (a single job or a batch item) ended: `outcome` completed or failed (`code`)."""
    emit("ImagesProcessed", tier=tier, outcome=outcome)
    if code:
        emit("JobFailures", code=code)


def batch_finished(tier: str, status: str, zip_status: str | None) -> None:
    """A batch ended: `status` completed, partial or failed, with its ZIP ready, failed or none."""
    emit("BatchesFinished", tier=tier, outcome=status, zip=zip_status or "none")


def credits_moved(reason: str, delta: int) -> None:
    """A balance change credits.apply committed (a charge is negative)."""
    if delta and reason in CREDIT_METRICS:
        emit(CREDIT_METRICS[reason], abs(delta))


def queue_age(record: SQSRecord) -> None:
    """How long the record waited in its queue (redeliveries included) when its function got it."""
    sent = record.attributes.sent_timestamp
    if not sent:
        return
    age_ms = max(0, int(clock() * 1000) - int(sent))
    emit("QueueAge", age_ms, MetricUnit.Milliseconds, queue=record.event_source_arn.rsplit(":", 1)[-1])
