"""Health: every table, the bucket, the queue, the models and the feature flags.

`GET /health` is public and answers the status alone (`{"status"}`, 200 or 503), from a check an
instance makes at most every CHECK_EVERY_S seconds, so anyone may ask without learning the
resources' names or making the service call AWS a dozen times per request. The report naming
what is missing (`check`) is for admins: `GET /api/admin/health`.

Models: the API functions do not carry model weights (the inference image does), so where no
model directory exists the models are reported from configuration only (`modelsChecked: false`)
and do not affect the status. Where the directory exists (the local runtime, the inference
image), each tier reports whether its own model is provisioned or the fallback will run, and the
status is degraded only when the fallback itself is missing, since then that tier cannot run.
"""

import time

from botocore.exceptions import BotoCoreError, ClientError

from bgr_core.api.views import Health, TierModelStatus
from bgr_core.platform import aws_clients, dynamodb
from bgr_core.platform.config import get_settings

CHECK_EVERY_S = 30.0
_last: tuple[float, str] | None = None  # (when, status) of this instance's last check


def clock() -> float:
    return time.monotonic()


def status() -> str:
    """healthy or degraded, as this instance last found it (checked again after CHECK_EVERY_S)."""
    global _last
    now = clock()
    if _last is None or now - _last[0] >= CHECK_EVERY_S:
        _last = (now, check().status)
    return _last[1]


def _bucket_ok() -> bool:
    try:
        aws_clients.client("s3").head_bucket(Bucket=get_settings().bucket_name)
        return True
    except (ClientError, BotoCoreError):
        return False


def _queue_ok() -> bool:
    url = get_settings().ingest_queue_url
    try:
        return bool(url) and bool(
            aws_clients.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]
        )
    except (ClientError, BotoCoreError):
        return False


def check() -> Health:
    s = get_settings()
    missing_tables = set(dynamodb.missing_tables())
    tables = {name: name not in missing_tables for name in dynamodb.table_names().values()}
    bucket, queue = _bucket_ok(), _queue_ok()
    checked = s.models_dir.is_dir()
    fallback_ok = s.model_file(s.fallback_model) is not None
    models = {}
    for tier, configured in s.tier_models.items():
        own = checked and s.model_file(configured.model) is not None
        models[tier] = TierModelStatus(
            model=configured.model, provisioned=own, runs=configured.model if own else s.fallback_model
        )
    missing = [f"table:{name}" for name, ok in tables.items() if not ok]
    missing += [] if bucket else [f"bucket:{s.bucket_name}"]
    missing += [] if queue else [f"queue:{s.ingest_queue_url or 'unset'}"]
    if checked and not fallback_ok:
        missing += [f"model:{s.fallback_model}"]
    return Health(
        status="degraded" if missing else "healthy",
        missing=missing,
        tables=tables,
        bucket=bucket,
        queue=queue,
        models=models,
        models_checked=checked,
        fallback_model=s.fallback_model,
        features=s.flags,
    )
