"""How every job, batch item and batch ends: one function per record kind (`end_job`, `end_item`,
`end_batch`) commits the final state, with its refund where the image was paid for, then emits
the metric and announces the webhook. The upload sweeper, the inference worker (a late original
included), cancel, the DLQ consumer, the ZIP workflow and the synchronous path (?wait, remove.bg)
all end records here, so none of them can leave a step out.

A final state is committed by a conditional write, so one caller ends a record: the others get
False and neither emit nor announce again.
"""

from dataclasses import dataclass

from bgr_core.integrations import webhooks
from bgr_core.money import credits, job_charges
from bgr_core.money.credits import Change
from bgr_core.platform import observability
from bgr_core.platform.dynamodb import applied, update
from bgr_core.platform.models import Batch, Job, utcnow
from bgr_core.work import settlement, zip_workflow
from bgr_core.work.status import BATCH_ZIPPED, ITEM_OPEN, JOB_OPEN, BatchStatus, JobStatus


class Completed:
    """A cutout stored: the result's fields to record (result_key, processed_size, ...)."""

    status = JobStatus.COMPLETED
    code = None

    def __init__(self, **fields):
        self.fields = fields


@dataclass(frozen=True)
class Failed:
    """The image will not be cut out: failed with `code` and refunded."""

    code: str
    message: str
    status = JobStatus.FAILED


class Refused(Failed):
    """A job that could never be charged (a drop-folder file with no credits, say): written failed
    with the reason, so the user sees what happened; nothing was paid, nothing is refunded."""


@dataclass(frozen=True)
class ZipReady:
    key: str
    size: int


@dataclass(frozen=True)
class ZipFailed:
    error: str


def end_job(job: Job, outcome: Completed | Failed, *, only: tuple[str, ...] = JOB_OPEN) -> bool:
    """Ends the job with `outcome`, once: False when it had already ended (or, failing, is in none
    of the statuses `only` allows: an expired upload fails only a job not started). A completion
    takes the job from processing; a refusal writes the job, which must not exist yet."""
    if isinstance(outcome, Completed):
        committed = _commit_completed_job(job, outcome.fields)
    elif isinstance(outcome, Refused):
        committed = _commit_refused_job(job, outcome)
    else:
        committed = job_charges.commit_failed_job(job, outcome.code, outcome.message, only)
    if not committed:
        return False
    observability.image_finished(job.tier, outcome.status, outcome.code)
    webhooks.job_finished(job, outcome.status)
    return True


def _commit_completed_job(job: Job, fields: dict) -> bool:
    """processing -> completed, the image taken off the user's in flight in the same transaction."""
    fields = {**fields, "status": JobStatus.COMPLETED, "completed_at": utcnow()}
    completed = update(
        job,
        [getattr(Job, name).set(value) for name, value in fields.items()],
        Job.status == JobStatus.PROCESSING,
    )

    def decide(attempt: int) -> Change | None:
        if attempt:  # refused: is the job still processing?
            job.refresh(consistent_read=True)
            if job.status != JobStatus.PROCESSING:
                return None
        return Change(job.user_id, 0, writes=[completed], in_flight=-1)

    if credits.apply(decide) is None:
        return False
    for name, value in fields.items():
        setattr(job, name, value)
    return True


def _commit_refused_job(job: Job, refusal: Refused) -> bool:
    job.status = JobStatus.FAILED
    job.credits_used = 0
    job.error_code = refusal.code
    job.error_message = refusal.message
    job.completed_at = utcnow()
    return applied(lambda: job.save(condition=Job.id.does_not_exist()))


def announce_again(job: Job) -> None:
    """A redelivered message found the job ended: the announcement may have been lost after the
    commit (the webhook sends it again only if no delivery was tried)."""
    webhooks.job_finished(job, job.status)


def end_item(
    batch_id: str, index: int, outcome: Completed | Failed, *, only: tuple[str, ...] = ITEM_OPEN
) -> bool:
    """Ends a batch item with `outcome`, counted on its batch in the same transaction, once: False
    when it had already ended (or, failing, is in none of the statuses `only` allows). The item
    that ends the batch starts its ZIP, or ends the batch when every item failed."""
    if isinstance(outcome, Completed):
        settled = settlement.commit_completed_item(batch_id, index, **outcome.fields)
    else:
        settled = settlement.commit_failed_item(batch_id, index, outcome.code, outcome.message, only)
    if settled is None:
        return False
    batch, status = settled
    observability.image_finished(batch.tier, outcome.status, outcome.code)
    if status in BATCH_ZIPPED:
        zip_workflow.start(batch)
    elif status == BatchStatus.FAILED:
        end_batch(batch)  # no ZIP to wait for
    return True


def end_batch(batch: Batch, zipped: ZipReady | ZipFailed | None = None) -> bool:
    """Ends a batch: with its ZIP's outcome (the ZIP workflow's last task), or, `zipped` None,
    after its last item's failure committed it failed (every item failed: there is no ZIP).
    False when the ZIP's outcome was recorded before (a retried task): the announcement is made
    again in case the first was lost, and nothing is emitted twice."""
    committed = True
    if isinstance(zipped, ZipReady):
        committed = zip_workflow.commit_ready(batch, zipped.key, zipped.size)
    elif isinstance(zipped, ZipFailed):
        committed = zip_workflow.commit_failed(batch, zipped.error)
    if not committed:
        batch.refresh(consistent_read=True)
    else:
        observability.batch_finished(batch.tier, batch.status, batch.zip_status)
    webhooks.batch_finished(batch, batch.status)
    return committed
