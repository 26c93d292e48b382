"""Upload deadlines: every presigned form expires, and a job or batch item whose original
has not arrived by then (plus a grace, for an upload begun in time) is failed `UPLOAD_EXPIRED` and
refunded, credits or quota, once.

A job or batch waiting for uploads carries `uploadShard` and `uploadDeadline`, and so appears in
its table's sparse `pendingUploads` index; `expiry.sweep` (the scheduled UploadDeadlineFunction) queries
each shard for deadlines passed, never scanning a table. An original "arrived" when S3 stored it
(Last-Modified) by deadline + grace: the sweeper and the inference worker judge by that one fact,
and settle through the same conditional writes that refund, so whichever of them (or a cancel)
comes first settles the image and the others change nothing.
"""

import hashlib
from datetime import datetime, timedelta

from bgr_core.platform import storage
from bgr_core.platform.config import get_settings
from bgr_core.platform.dynamodb import applied
from bgr_core.platform.models import Batch, Job, utcnow

SHARDS = 4


def clock() -> datetime:
    """Now, for deadlines (tests replace it to be an hour later without waiting)."""
    return utcnow()


def grace() -> timedelta:
    return timedelta(seconds=get_settings().upload_grace_seconds)


def _shard(record_id: str) -> str:
    return str(int(hashlib.sha256(record_id.encode()).hexdigest()[:8], 16) % SHARDS)


def await_upload(record: Job | Batch) -> None:
    """Gives a new job or batch its upload deadline and puts it in the pending-uploads index
    (set before it is saved, so it is written with its charge)."""
    record.upload_deadline = clock() + timedelta(seconds=get_settings().upload_url_ttl_seconds)
    record.upload_shard = _shard(record.id)


def arrived_in_time(deadline: datetime | None, key: str) -> bool:
    arrived = storage.arrival(key)
    return arrived is not None and (deadline is None or arrived <= deadline + grace())


def arrived_late(deadline: datetime | None, key: str) -> bool:
    """The worker's check: the original is there, but came after its deadline and grace."""
    if deadline is None:  # its original was stored with it (drop folder)
        return False
    arrived = storage.arrival(key)
    return arrived is not None and arrived > deadline + grace()


def leave_index(record: Job | Batch) -> None:
    """The record waits for no upload any more (started, settled or cancelled)."""
    model = type(record)
    applied(lambda: record.update(actions=[model.upload_shard.remove()], condition=model.id.exists()))
