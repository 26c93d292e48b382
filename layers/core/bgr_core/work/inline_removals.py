"""One image removed within its request (`POST /remove`, remove.bg's `POST /v1.0/removebg`, the
MCP server's `remove_background`):
charged and created, then run now by a direct invoke or queued by storing its original."""

import uuid
from dataclasses import dataclass

from bgr_core.dispatch import sync_inference
from bgr_core.integrations import backgrounds
from bgr_core.platform import storage
from bgr_core.platform.models import Job
from bgr_core.work import jobs
from bgr_core.work.output_options import OutputOptions


@dataclass(frozen=True)
class Image:
    filename: str
    data: bytes
    content_type: str  # sniffed from the bytes, not as the client claimed


@dataclass(frozen=True)
class Removal:
    job: Job  # as stored after the run (or as created, when queued)
    answer: sync_inference.Answer | None  # how the run ended; None when queued


def start(
    user_id: str,
    image: Image,
    tier: str,
    options: OutputOptions,
    *,
    now: bool,
    test: bool = False,
    callback_url: str | None = None,
    credits_per_image: int | None = None,
    background: Image | None = None,
    source: str = "api",
    max_credits: int | None = None,
) -> Removal:
    """Charges and creates the job (InsufficientCredits leaves nothing behind), stores its
    uploaded `background`, then runs it now or stores the original, which queues it. A store or
    a run that fails is refunded."""
    job_id = uuid.uuid4().hex
    key = (storage.direct_key if now else storage.upload_key)(user_id, job_id, image.filename)
    job = jobs.create(
        user_id,
        tier,
        image.filename,
        options=options,
        size_bytes=len(image.data),
        original_key=key,
        job_id=job_id,
        credits_per_image=credits_per_image,
        callback_url=callback_url,
        background_key=backgrounds.key(user_id, job_id) if background else None,
        test=test,
        source=source,
        max_credits=max_credits,
    )
    if background:
        jobs.store_background(job, background.data, background.content_type)
    if not now:
        jobs.store_original(job, image.data, image.content_type)
        return Removal(job, None)
    answer = sync_inference.run(job, image.data, image.content_type)
    return Removal(jobs.get(job.id) or job, answer)
