"""Giving up on an object whose message exhausted its retries (it reached the DLQ): its job or
batch item ends failed and refunded, and whatever outputs a dying attempt wrote are removed,
so nothing stays `processing` forever. What already completed is left as it is."""

from bgr_core.dispatch.s3_events import CreatedObject
from bgr_core.platform import storage
from bgr_core.platform.errors import BadRequest, NotFound
from bgr_core.work import jobs, lifecycle

CODE = "PROCESSING_FAILED"
MESSAGE = "processing failed repeatedly; the image was refunded"
GAVE_UP = lifecycle.Failed(CODE, MESSAGE)
EXTENSIONS = ("png", "webp")  # whatever a dying attempt may have written


def give_up(created: CreatedObject) -> str:
    """What became of the object's job or item; an object that stands for none is left alone
    (raising would only bring the message back until its retention ends)."""
    try:
        return _settle(created)
    except (BadRequest, NotFound) as err:
        return f"nothing to settle: {err.message}"


def _settle(created: CreatedObject) -> str:
    target = storage.parse_ingest_key(created.key)
    if target.kind == "batch":
        if not lifecycle.end_item(target.batch_id, target.index, GAVE_UP):
            return "batch item already settled"
        folder = f"batches/{target.batch_id}"
        storage.delete(
            *(storage.result_key(target.user_id, f"{target.index:03d}", e, folder=folder) for e in EXTENSIONS)
        )
        return "batch item failed"
    job_id = target.job_id if target.kind == "upload" else jobs.drop_job_id(created.key, created.etag)
    job = jobs.get(job_id)
    if job is None or job.user_id != target.user_id:
        return "no job"
    if not lifecycle.end_job(job, GAVE_UP):
        return f"job already {job.status}"
    folder = "drop" if job.source == "drop" else ""
    storage.delete(
        *(storage.result_key(job.user_id, job.id, e, folder=folder) for e in EXTENSIONS),
        storage.thumbnail_key(job.user_id, job.id),
    )
    return "job failed"
