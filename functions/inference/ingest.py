"""What the inference function does with one object created under uploads/, batches/ or drop/.

Permanent failures (an image that will never decode, a drop that cannot be paid for) end the
job or item `failed`, refunded, and return normally: retrying them would change nothing.
Anything else raises, so SQS redelivers the message; after maxReceiveCount it lands in the
DLQ, whose consumer fails and refunds what is left (functions/dead_letters).
"""

import base64
import time
from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger

from bgr_core.integrations import backgrounds
from bgr_core.money.credits import TooManyInFlight
from bgr_core.money.pricing import TIERS
from bgr_core.platform import features, storage
from bgr_core.platform.errors import (
    BadRequest,
    DomainError,
    FeatureDisabled,
    InsufficientCredits,
    InvalidImage,
)
from bgr_core.platform.lambda_payloads import MAX_INLINE_RESULT_BYTES
from bgr_core.platform.models import Job
from bgr_core.work import batches, jobs, lifecycle, settlement, upload_deadlines, upload_sweep
from bgr_core.work.output_options import MEDIA_TYPES, OutputOptions
from bgr_core.work.status import JOB_FINAL, BatchStatus, JobStatus
from cutout import background, pipeline

logger = Logger(child=True)
NO_TIER = "none"  # what a drop outside a tier folder records as its tier
TIMED_OUT = lifecycle.Failed("TIMED_OUT", "the cutout took longer than its caller waits; it was refunded")


class TierMissing(BadRequest):
    code = "TIER_MISSING"


@dataclass(frozen=True)
class Outcome:
    status: str  # completed | failed | skipped
    reason: str = ""  # a failure's code
    detail: str = ""  # a failure's message
    result: pipeline.CutoutResult | None = None  # of a completed cutout

    def as_dict(self) -> dict:
        return {"status": self.status, "reason": self.reason}


def process_job(job_id: str, image_b64: str | None = None, deadline: str | None = None) -> dict:
    """A job run now, by a direct invoke (RequestResponse) instead of an S3 event. The original
    comes in the payload, or is stored under a prefix that raises no event. The job ends as a
    queued one does; the answer adds the result (inline when small) and the subject's box.
    `deadline` (ISO 8601): when the caller stops waiting; past it the job is failed and refunded
    (once, whoever of the caller and this function comes first) and nothing is written."""
    until = datetime.fromisoformat(deadline) if deadline else None
    if _past(until):
        job = jobs.get(job_id)
        if job is not None:
            lifecycle.end_job(job, TIMED_OUT)
        return {"status": "skipped", "reason": "its caller's deadline had passed"}
    job, started = jobs.start_present(job_id), True  # one write, where a read and a write would do
    if job is None:
        job, started = jobs.get(job_id), False  # finished, awaiting its upload, or none: as queued
    if job is None:
        return {"status": "skipped", "reason": "no such job"}
    data = base64.b64decode(image_b64) if image_b64 else None
    outcome = _run_job(job, data, started=started, deadline=until)
    answer = {**outcome.as_dict(), "detail": outcome.detail}
    result = outcome.result
    if result is not None:
        answer.update(
            width=result.width,
            height=result.height,
            foreground=result.foreground,
            contentType=result.content_type,
            resultKey=job.result_key,
            image=base64.b64encode(result.image).decode()
            if len(result.image) <= MAX_INLINE_RESULT_BYTES
            else None,
        )
    return answer


def process(key: str, etag: str = "") -> Outcome:
    """Routes one created object by its prefix."""
    try:
        target = storage.parse_ingest_key(key)
    except BadRequest:  # e.g. uploads/x.jpg, written by hand: no job can be behind it
        logger.warning("object is no upload, batch item or drop; left alone", extra={"key": key})
        return Outcome("skipped", "unknown key")
    if target.kind == "upload":
        job = jobs.get(target.job_id)
        if job is None or job.user_id != target.user_id or job.original_key != key:
            logger.warning("object matches no job; left alone", extra={"key": key})
            return Outcome("skipped", "no such job")
        return _run_job(job)
    if target.kind == "batch":
        return _run_batch_item(key, target)
    return _run_drop(key, etag, target)


def _past(deadline: datetime | None) -> bool:
    return deadline is not None and upload_deadlines.clock() >= deadline


def _run_job(
    job: Job, data: bytes | None = None, *, started: bool = False, deadline: datetime | None = None
) -> Outcome:
    """`data`: the original, when it came with a direct invoke instead of through S3; `started`:
    the job is already processing (jobs.start_present); `deadline`: the direct caller's."""
    if not started:
        if job.status == JobStatus.PENDING and upload_deadlines.arrived_late(
            job.upload_deadline, job.original_key
        ):
            return _expired(upload_sweep.expire_job(job), job.original_key)
        if not jobs.start(job):
            if job.status in JOB_FINAL:  # a redelivery after the announcement may have failed
                lifecycle.announce_again(job)
            return Outcome("skipped", f"job already {job.status}")
    try:
        declared = _declared(job.original_size)
        backdrop = backgrounds.load(job.options, job.background_key)
        result = _cutout(
            job.original_key, job.tier, job.options, declared, data, backdrop=backdrop, watermark=job.test
        )
    except InvalidImage as err:
        lifecycle.end_job(job, lifecycle.Failed(err.code, err.message))
        return Outcome("failed", err.code, err.message)
    if _past(deadline):  # its caller has given up (and refunded it, or is about to): write nothing
        lifecycle.end_job(job, TIMED_OUT)
        return Outcome("failed", TIMED_OUT.code, TIMED_OUT.message)
    result_key = storage.job_result_key(job.user_id, job.id, result.extension, drop=job.source == "drop")
    thumb_key = storage.thumbnail_key(job.user_id, job.id)
    thumb = background.pool.submit(storage.put_image, thumb_key, result.thumbnail, MEDIA_TYPES["webp"])
    storage.put_image(result_key, result.image, result.content_type)
    thumb.result()
    completed = lifecycle.Completed(
        result_key=result_key,
        thumbnail_key=thumb_key,
        original_size=result.original_size,
        processed_size=len(result.image),
        width=result.width,
        height=result.height,
        model_name=result.model_name,
        processing_time=result.processing_ms,
    )
    if not lifecycle.end_job(job, completed):  # ended meanwhile (the DLQ consumer, a direct caller)
        storage.delete(result_key, thumb_key)  # a result nobody pays for is not kept
        return Outcome("skipped", "job already ended")
    return Outcome("completed", result=result)


def _run_batch_item(key: str, target: storage.IngestKey) -> Outcome:
    batch = batches.get(target.batch_id)
    if batch is None:
        logger.warning("object matches no batch; left alone", extra={"key": key})
        return Outcome("skipped", "no such batch")
    if batch.user_id != target.user_id:
        return Outcome("skipped", "item not pending")
    if upload_deadlines.arrived_late(batch.upload_deadline, key):
        return _expired(upload_sweep.expire_item(batch.id, target.index), key)
    item = settlement.start_item(batch.id, target.index, batch_pending=batch.status == BatchStatus.PENDING)
    if item is None:
        return Outcome("skipped", "item not pending")
    try:
        declared = _declared(item.size_bytes)
        backdrop = backgrounds.load(batch.options)
        result = _cutout(key, batch.tier, batch.options, declared, backdrop=backdrop, thumbnail=False)
    except InvalidImage as err:
        lifecycle.end_item(batch.id, target.index, lifecycle.Failed(err.code, err.message))
        return Outcome("failed", err.code)
    result_key = storage.item_result_key(batch.user_id, batch.id, target.index, result.extension)
    storage.put_image(result_key, result.image, result.content_type)
    completed = lifecycle.Completed(
        result_key=result_key,
        processed_size=len(result.image),
        model_name=result.model_name,
        processing_time=result.processing_ms,
    )
    if not lifecycle.end_item(batch.id, target.index, completed):
        return Outcome("skipped", "item already settled")
    return Outcome("completed")


def _expired(settled_here: bool, key: str) -> Outcome:
    """An original that came after its deadline is neither processed nor charged again: its image
    is failed and refunded now (unless the sweeper or a redelivery already did), the file removed."""
    if not settled_here:
        return Outcome("skipped", "upload came after its deadline; already settled")
    storage.delete(key)
    return Outcome("failed", upload_sweep.CODE)


def _run_drop(key: str, etag: str, target: storage.IngestKey) -> Outcome:
    job_id = jobs.drop_job_id(key, etag)
    job = jobs.get(job_id) or _create_drop_job(job_id, key, target)
    if job.status == JobStatus.FAILED:
        return Outcome("failed", job.error_code)
    return _run_job(job)


def _create_drop_job(job_id: str, key: str, target: storage.IngestKey) -> Job:
    """Charged like POST /remove; a drop that cannot be charged still gets a job, failed with
    the reason, so the user sees it in GET /jobs."""
    common = {"options": OutputOptions(), "source": "drop", "original_key": key, "job_id": job_id}
    refusal: DomainError | None = None
    if not features.enabled("dropFolder"):
        refusal = FeatureDisabled("the drop folder is switched off")
    elif target.tier is None:
        refusal = TierMissing(
            f"drop files go in a tier folder: drop/{target.user_id}/<tier>/{target.filename}"
            f" (tiers: {', '.join(TIERS)})"
        )
    elif target.tier not in TIERS:
        refusal = BadRequest(f"unknown tier {target.tier!r}; tiers: {', '.join(TIERS)}")
    else:
        try:
            return jobs.create(target.user_id, target.tier, target.filename, **common)
        except (InsufficientCredits, TooManyInFlight) as err:  # recorded, not redelivered to the DLQ
            refusal = err
    return jobs.record_refused(target.user_id, target.tier or NO_TIER, target.filename, refusal, **common)


def _declared(size: float | None) -> int | None:
    return None if size is None else int(size)


def _cutout(
    key: str,
    tier: str,
    options: OutputOptions,
    declared: int | None,
    data: bytes | None = None,
    *,
    backdrop: bytes | None = None,
    watermark: bool = False,
    thumbnail: bool = True,
) -> pipeline.CutoutResult:
    """`declared`: the size the upload form was signed for (None for a drop). S3 enforces the
    form's size range; this refuses what got past it (moto, for one, does not enforce it).
    `data`: the original when it came in a direct invoke's payload rather than through S3."""
    if data is None:
        size = storage.object_size(key)
        if size > storage.MAX_IMAGE_BYTES:  # refuse before downloading
            raise InvalidImage(
                "TOO_LARGE",
                f"{storage.megabytes(size)} is over the {storage.megabytes(storage.MAX_IMAGE_BYTES)} limit",
                413,
            )
        if declared is not None and size > declared:
            raise InvalidImage(
                "TOO_LARGE",
                f"{storage.megabytes(size)} is more than the {storage.megabytes(declared)} declared",
                413,
            )
        data = storage.get_bytes(key)
    started = time.perf_counter()
    result = pipeline.run(data, tier, options, backdrop=backdrop, watermark=watermark, thumbnail=thumbnail)
    logger.info(
        "cutout",
        extra={
            "key": key,
            "tier": tier,
            "model": result.model_name,
            "ms": (time.perf_counter() - started) * 1000,
        },
    )
    return result
