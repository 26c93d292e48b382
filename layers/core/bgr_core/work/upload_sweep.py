"""Settling uploads that never came: `sweep` is what the scheduled UploadDeadlineFunction
runs; the inference worker expires a late original itself with `expire_job` / `expire_item`.
Both only ever take an image from `pending` (a started one runs to its end) and end it through
work.lifecycle, so the image is refunded and announced once (see bgr_core.work.upload_deadlines)."""

from dataclasses import dataclass
from datetime import datetime

from bgr_core.platform.dynamodb import get_or_none
from bgr_core.platform.models import Batch, Job
from bgr_core.work import batches, lifecycle, upload_deadlines
from bgr_core.work.status import BATCH_FINAL, ItemStatus, JobStatus
from bgr_core.work.upload_deadlines import SHARDS, arrived_in_time, grace, leave_index

CODE = "UPLOAD_EXPIRED"
MESSAGE = "the image was not uploaded before its upload form expired; it was refunded"
EXPIRED = lifecycle.Failed(CODE, MESSAGE)
SWEEP_LIMIT = 200  # records per shard and table in one run; the next run goes on


def expire_job(job: Job) -> bool:
    """Fails a job still waiting for its upload and refunds it; False if it already moved on."""
    return lifecycle.end_job(job, EXPIRED, only=(JobStatus.PENDING,))


def expire_item(batch_id: str, index: int) -> bool:
    return lifecycle.end_item(batch_id, index, EXPIRED, only=(ItemStatus.PENDING,))


@dataclass
class SweepReport:
    jobs_expired: int = 0
    items_expired: int = 0
    waiting: int = 0  # arrived in time, not started yet: the worker has them

    def as_dict(self) -> dict:
        return {"jobsExpired": self.jobs_expired, "itemsExpired": self.items_expired, "waiting": self.waiting}


def sweep(now: datetime | None = None) -> SweepReport:
    """Settles every job and batch whose upload deadline (plus grace) has passed at `now`."""
    cutoff = (now or upload_deadlines.clock()) - grace()
    report = SweepReport()
    for shard in map(str, range(SHARDS)):
        for key in Job.pending_uploads.query(shard, Job.upload_deadline <= cutoff, limit=SWEEP_LIMIT):
            _sweep_job(key.id, report)
        for key in Batch.pending_uploads.query(shard, Batch.upload_deadline <= cutoff, limit=SWEEP_LIMIT):
            _sweep_batch(key.id, report)
    return report


def _sweep_job(job_id: str, report: SweepReport) -> None:
    job = get_or_none(Job, job_id)
    if job is None:
        return
    if job.status == JobStatus.PENDING and arrived_in_time(job.upload_deadline, job.original_key):
        report.waiting += 1
        return
    if job.status == JobStatus.PENDING and expire_job(job):
        report.jobs_expired += 1
    else:  # started or settled meanwhile; either way it waits for nothing now
        leave_index(job)


def _sweep_batch(batch_id: str, report: SweepReport) -> None:
    batch = batches.get(batch_id)
    waiting = 0
    if batch is not None and batch.status not in BATCH_FINAL:
        for item in batches.items(batch_id):
            if item.status != ItemStatus.PENDING:
                continue
            if arrived_in_time(batch.upload_deadline, item.key):
                waiting += 1
            elif expire_item(batch_id, int(item.index)):
                report.items_expired += 1
    report.waiting += waiting
    if batch is not None and not waiting:
        leave_index(batch)
