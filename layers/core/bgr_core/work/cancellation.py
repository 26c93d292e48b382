"""Cancelling a batch (DELETE /batch/{batchId}).

Items not started are ended failed `CANCELLED` and refunded (credits, or quota) through
work.lifecycle.end_item, taking an item only from `pending`: an item a worker already started
runs to its end, and the item that settles the batch last starts the ZIP of what finished. Each
item settles once, so cancelling twice (or racing the worker or the deadline sweeper) changes
nothing more.
"""

from bgr_core.platform.dynamodb import applied
from bgr_core.platform.models import BATCH_HEADER, Batch, utcnow
from bgr_core.work import batches, lifecycle, upload_deadlines
from bgr_core.work.status import BATCH_FINAL, ItemStatus

CODE = "CANCELLED"
MESSAGE = "the batch was cancelled before this image was processed; it was refunded"
CANCELLED = lifecycle.Failed(CODE, MESSAGE)


def cancel_batch(user_id: str, batch_id: str) -> Batch:
    """The batch after cancelling it (another user's batch is NotFound)."""
    batch = batches.get_for_user(user_id, batch_id)
    if batch.status in BATCH_FINAL:
        return batch
    applied(
        lambda: Batch(batch_id, BATCH_HEADER).update(
            actions=[Batch.cancelled_at.set(utcnow())], condition=Batch.cancelled_at.does_not_exist()
        )
    )
    for item in batches.items(batch_id):
        if item.status == ItemStatus.PENDING:
            lifecycle.end_item(batch_id, int(item.index), CANCELLED, only=(ItemStatus.PENDING,))
    upload_deadlines.leave_index(batch)
    return batches.get(batch_id)
