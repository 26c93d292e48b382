"""A single job's life: created with its charge, started once, ended by work.lifecycle.end_job
(completed, or failed and refunded)."""

import hashlib
import uuid

from bgr_core.integrations import backgrounds, webhooks
from bgr_core.money import job_charges
from bgr_core.platform import storage
from bgr_core.platform.dynamodb import applied, get_or_none, owned, page_by_user
from bgr_core.platform.errors import DomainError
from bgr_core.platform.models import Job, utcnow
from bgr_core.work import lifecycle, upload_deadlines
from bgr_core.work.output_options import OutputOptions
from bgr_core.work.status import JOB_OPEN, JobStatus

STORE_FAILED = lifecycle.Failed("UPLOAD_FAILED", "the image could not be stored; it was refunded")


def _new_id() -> str:
    return uuid.uuid4().hex


def drop_job_id(key: str, etag: str) -> str:
    """A drop-folder job's id is derived from the object, so a redelivery (or the DLQ consumer)
    finds the job the first delivery created instead of creating and charging another."""
    return hashlib.sha256(f"{key}\n{etag}".encode()).hexdigest()[:32]


def create(
    user_id: str,
    tier: str,
    filename: str,
    *,
    options: OutputOptions,
    size_bytes: int | None = None,
    source: str = "api",
    original_key: str | None = None,
    job_id: str | None = None,
    credits_per_image: int | None = None,
    callback_url: str | None = None,
    max_credits: int | None = None,
    background_key: str | None = None,
    test: bool = False,
) -> Job:
    """A pending job for an image about to be uploaded (or already stored at `original_key`),
    written together with its charge: InsufficientCredits (or OverBudget, above `max_credits`)
    leaves nothing behind. `test`: a test key's job (free, watermarked); `background_key`: where
    its uploaded background image goes."""
    backgrounds.check(options)
    job = _new_job(user_id, tier, filename, options, size_bytes, source, original_key, job_id)
    job.callback_url = webhooks.check_callback_url(callback_url)
    job.background_key, job.test = background_key, test
    if original_key is None:  # the original is still to come, until its upload deadline
        upload_deadlines.await_upload(job)
    return job_charges.charge_new_job(job, credits_per_image, max_credits)


def record_refused(
    user_id: str,
    tier: str,
    filename: str,
    refusal: DomainError,
    *,
    options: OutputOptions,
    source: str,
    original_key: str,
    job_id: str | None = None,
) -> Job:
    """A job that was never charged because it could not be (a drop-folder file with no
    credits, say): recorded failed with the reason so the user can see what happened."""
    job = _new_job(user_id, tier, filename, options, None, source, original_key, job_id)
    if not lifecycle.end_job(job, lifecycle.Refused(refusal.code, refusal.message)):
        return get(job.id)
    return job


def _new_job(user_id, tier, filename, options, size_bytes, source, original_key, job_id) -> Job:
    job_id = job_id or _new_id()
    return Job(
        job_id,
        user_id=user_id,
        created_at=utcnow().isoformat(),
        tier=tier,
        source=source,
        filename=storage.safe_filename(filename),
        pricing_type="credit",
        options=options,
        original_key=original_key or storage.upload_key(user_id, job_id, filename),
        original_size=size_bytes,
    )


def _store(job: Job, key: str, data: bytes, content_type: str, failed: lifecycle.Failed) -> None:
    """Stores one of the job's images; a store that fails refunds the job."""
    try:
        storage.put_image(key, data, content_type)
    except Exception:
        lifecycle.end_job(job, failed)
        raise


def store_original(job: Job, data: bytes, content_type: str) -> None:
    """Stores the image a job was created for; a store that fails refunds the job."""
    _store(job, job.original_key, data, content_type, STORE_FAILED)


def store_background(job: Job, data: bytes, content_type: str) -> None:
    """Stores the job's uploaded background image; a store that fails refunds the job."""
    failed = lifecycle.Failed("UPLOAD_FAILED", "the background could not be stored; refunded")
    _store(job, job.background_key, data, content_type, failed)


def get(job_id: str) -> Job | None:
    return get_or_none(Job, job_id)


def get_for_user(user_id: str, job_id: str) -> Job:
    return owned(get(job_id), user_id, "job", job_id)


def list_for_user(user_id: str, limit: int = 20, cursor: str | None = None) -> tuple[list[Job], str | None]:
    return page_by_user(Job.by_user, user_id, limit, cursor)


def count_for_user(user_id: str) -> int:
    return Job.by_user.count(user_id)


def start(job: Job) -> bool:
    """pending -> processing. A redelivery of a job whose worker died (still processing) may
    start it again; a finished job never restarts (False)."""
    return applied(
        lambda: job.update(
            actions=[
                Job.status.set(JobStatus.PROCESSING),
                Job.started_at.set(utcnow()),
                Job.upload_shard.remove(),
            ],
            condition=Job.status.is_in(*JOB_OPEN),
        )
    )


def start_present(job_id: str) -> Job | None:
    """pending -> processing for a job whose original came with it (no upload deadline), read
    back by the same write: the job, started; None when there is no such job, it is finished or
    it awaits an upload (`get` and `start` tell those cases apart)."""
    job = Job(job_id)
    started = applied(
        lambda: job.update(
            actions=[Job.status.set(JobStatus.PROCESSING), Job.started_at.set(utcnow())],
            condition=Job.id.exists() & Job.status.is_in(*JOB_OPEN) & Job.upload_deadline.does_not_exist(),
        )
    )
    return job if started else None
