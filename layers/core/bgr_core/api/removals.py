"""POST /remove: one image, in the request (multipart) or through a presigned upload (JSON)."""

import time

from pydantic import ValidationError

from .. import jobs, storage
from ..config import get_settings
from ..errors import BadRequest
from ..models import Job
from ..options import OutputOptions
from .schemas import Schema, Tier, UploadRequest
from .uploads import check_declared, parse_inline

POLL_SECONDS = 0.25
FINISHED = ("completed", "failed")


class InlineForm(Schema):
    tier: Tier


def create_inline(user_id: str, body: bytes, content_type: str) -> Job:
    """Charges and creates the job, then stores the original (which queues it for inference).
    Nothing is stored for an upload that is refused; a store that fails is refunded."""
    image = parse_inline(body, content_type)
    form = InlineForm.model_validate(image.fields)
    options = _options(image.fields.get("options"))
    job = jobs.create(user_id, form.tier, image.filename, options=options, size_bytes=len(image.data))
    try:
        storage.put_image(job.original_key, image.data, image.content_type)
    except Exception:
        jobs.fail(job, "UPLOAD_FAILED", "the image could not be stored; it was refunded")
        raise
    return job


def _options(raw: str | None) -> OutputOptions:
    try:
        return OutputOptions.model_validate_json(raw) if raw else OutputOptions()
    except ValidationError as exc:
        raise BadRequest("`options` is not valid output options JSON") from exc


def create_presigned(user_id: str, request: UploadRequest) -> tuple[Job, dict]:
    """Refuses what could never process before charging, then the job and its upload form."""
    check_declared(request.content_type, request.size_bytes)
    job = jobs.create(
        user_id, request.tier, request.filename, options=request.options, size_bytes=request.size_bytes
    )
    return job, storage.presigned_upload(job.original_key, request.content_type, request.size_bytes)


def wait_for(job: Job, seconds: float, time_left_ms: int) -> Job:
    """Polls the job until it finishes or `seconds` pass (capped by max_wait_seconds and what is
    left of the invocation); returns it as it is then."""
    budget = min(seconds, get_settings().max_wait_seconds, max(time_left_ms / 1000 - 2, 0))
    deadline = time.monotonic() + budget
    while job.status not in FINISHED and time.monotonic() < deadline:
        time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0)))
        job = jobs.get(job.id) or job
    return job
