"""A batch's ZIP workflow (the Step Functions state machine in infra/): started once by the
settlement of the batch's last item, and its outcome recorded on the batch (by work.lifecycle's
end_batch, which then announces the batch's final state)."""

import json
import uuid

from botocore.exceptions import ClientError

from bgr_core.platform import aws_clients
from bgr_core.platform.config import get_settings
from bgr_core.platform.dynamodb import applied, get_or_none
from bgr_core.platform.models import BATCH_HEADER, Batch, utcnow
from bgr_core.work.status import BATCH_ZIPPED, ZipStatus


def start(batch: Batch, name: str | None = None) -> None:
    """Starts the ZIP workflow named after the batch: a duplicate start is harmless (Step Functions
    returns the running execution, or refuses a finished one's name)."""
    if batch.status not in BATCH_ZIPPED or batch.zip_status != ZipStatus.BUILDING:
        return
    try:
        aws_clients.client("stepfunctions").start_execution(
            stateMachineArn=get_settings().zip_state_machine_arn,
            name=name or batch.id,
            input=json.dumps({"batchId": batch.id}),
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise


def commit_ready(batch: Batch, key: str, size: int) -> bool:
    """building -> ready with the ZIP's key and size; False when it is not building (a retried
    task after the first recorded it)."""
    return applied(
        lambda: batch.update(
            actions=[
                Batch.zip_status.set(ZipStatus.READY),
                Batch.zip_key.set(key),
                Batch.zip_size.set(size),
                Batch.zip_error.remove(),
                Batch.completed_at.set(utcnow()),
            ],
            condition=Batch.zip_status == ZipStatus.BUILDING,
        )
    )


def commit_failed(batch: Batch, error: str) -> bool:
    """building -> failed: the results stay where they are; rerun() tries again."""
    return applied(
        lambda: batch.update(
            actions=[Batch.zip_status.set(ZipStatus.FAILED), Batch.zip_error.set(error[:1000])],
            condition=Batch.zip_status == ZipStatus.BUILDING,
        )
    )


def rerun(batch_id: str) -> bool:
    """Builds the ZIP of a batch whose workflow failed again, in a fresh execution (names are unique
    per state machine for 90 days). False when its ZIP is not in the failed state."""
    if not applied(
        lambda: Batch(batch_id, BATCH_HEADER).update(
            actions=[Batch.zip_status.set(ZipStatus.BUILDING)], condition=Batch.zip_status == ZipStatus.FAILED
        )
    ):
        return False
    start(get_or_none(Batch, batch_id, BATCH_HEADER), name=f"{batch_id}-rerun-{uuid.uuid4().hex[:8]}")
    return True
