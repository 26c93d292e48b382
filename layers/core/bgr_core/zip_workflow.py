"""A batch's ZIP workflow (the Step Functions state machine in infra/): started once by the
settlement of the batch's last item, and its outcome recorded on the batch."""

import json
import uuid

from botocore.exceptions import ClientError

from . import aws, webhooks
from .config import get_settings
from .db import applied, get_or_none
from .models import BATCH_HEADER, Batch, utcnow


def start(batch: Batch, name: str | None = None) -> None:
    """Starts the ZIP workflow named after the batch: a duplicate start is harmless (Step Functions
    returns the running execution, or refuses a finished one's name)."""
    if batch.status not in ("completed", "partial") or batch.zip_status != "building":
        return
    try:
        aws.client("stepfunctions").start_execution(
            stateMachineArn=get_settings().zip_state_machine_arn,
            name=name or batch.id,
            input=json.dumps({"batchId": batch.id}),
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise


def ready(batch_id: str, key: str, size: int) -> None:
    """The batch is done with its ZIP: its final state is announced (webhooks)."""
    batch = Batch(batch_id, BATCH_HEADER)
    batch.update(
        actions=[
            Batch.zip_status.set("ready"),
            Batch.zip_key.set(key),
            Batch.zip_size.set(size),
            Batch.zip_error.remove(),
            Batch.completed_at.set(utcnow()),
        ]
    )
    webhooks.batch_finished(batch, batch.status)


def failed(batch_id: str, error: str) -> None:
    """The workflow gave up: the results stay where they are; rerun() tries again. The batch's
    final state is announced now (zipStatus failed), not again after a rerun."""
    batch = Batch(batch_id, BATCH_HEADER)
    batch.update(actions=[Batch.zip_status.set("failed"), Batch.zip_error.set(error[:1000])])
    webhooks.batch_finished(batch, batch.status)


def rerun(batch_id: str) -> bool:
    """Builds the ZIP of a batch whose workflow failed again, in a fresh execution (names are unique
    per state machine for 90 days). False when its ZIP is not in the failed state."""
    if not applied(
        lambda: Batch(batch_id, BATCH_HEADER).update(
            actions=[Batch.zip_status.set("building")], condition=Batch.zip_status == "failed"
        )
    ):
        return False
    start(get_or_none(Batch, batch_id, BATCH_HEADER), name=f"{batch_id}-rerun-{uuid.uuid4().hex[:8]}")
    return True
