"""In-request images cut out now: the inference function invoked directly (Lambda Invoke,
RequestResponse) instead of S3 event -> SQS -> worker -> poll, within API Gateway's 29 s.

The original goes in the payload (or, when too large for it, under `direct/`, which raises no S3
event, so the queue never runs it a second time); the function runs the job exactly as a queued
one (start, cutout, result stored, complete or fail and refund) and answers with the result.
Which function runs a tier is configuration, per tier class (light tiers, matting tiers), so the
tiers can be served by different functions. An invoke that fails, or answers no finished job,
fails the job and refunds it here: nothing is charged for it.
"""

import base64
import json
from dataclasses import dataclass
from functools import lru_cache

import boto3
from botocore.config import Config

from . import jobs, storage
from .config import get_settings
from .errors import DomainError, ServiceUnavailable
from .models import Job
from .work import lifecycle
from .work.status import JOB_FINAL, JobStatus

INVOKE_TIMEOUT_S = 28  # API Gateway gives up at 29 s
# Lambda's synchronous payloads are at most 6 MB: an original up to this size (4/3 of it in
# base64) goes in the payload, a larger one through S3.
INLINE_IMAGE_BYTES = 4 * 1024 * 1024


class CutoutFailed(ServiceUnavailable):
    code = "INFERENCE_FAILED"


def function_for(tier: str) -> str:
    settings = get_settings()
    light = not settings.tier_models[tier].refinement.startswith("matting")
    name = settings.inference_function_light if light else settings.inference_function_matting
    if not name:
        raise ServiceUnavailable(f"no inference function is configured for the {tier} tier")
    return name


@lru_cache(maxsize=1)
def _lambda():
    # No retries: a second invoke of a job still running would run it twice.
    config = Config(read_timeout=INVOKE_TIMEOUT_S, connect_timeout=2, retries={"max_attempts": 0})
    return boto3.client("lambda", config=config)


@dataclass(frozen=True)
class Answer:
    """How a direct run ended, as the inference function answered."""

    status: JobStatus  # completed | failed
    error_code: str = ""
    error_message: str = ""
    width: int = 0
    height: int = 0
    foreground: tuple[int, int, int, int] | None = None  # the subject's left, top, width, height
    result_key: str = ""
    image: bytes | None = None  # the result, when small enough to come back in the answer

    def result(self) -> bytes:
        return self.image if self.image is not None else storage.get_bytes(self.result_key)


def run(job: Job, data: bytes, content_type: str) -> Answer:
    """Runs the job now on `data` (its original, in the payload when small, else stored under
    job.original_key first); completed, or failed and refunded."""
    payload = {"jobId": job.id}
    if len(data) <= INLINE_IMAGE_BYTES:
        payload["image"] = base64.b64encode(data).decode()
    else:
        jobs.store_original(job, data, content_type)
    try:
        response = _lambda().invoke(
            FunctionName=function_for(job.tier),
            InvocationType="RequestResponse",
            Payload=json.dumps(payload).encode(),
        )
        answer = json.loads(response["Payload"].read() or b"null") or {}
        if response.get("FunctionError"):
            raise CutoutFailed(f"the cutout failed: {answer.get('errorMessage', 'unknown error')}")
        if answer.get("status") not in JOB_FINAL:
            raise CutoutFailed(f"the cutout did not run: {answer.get('reason', 'no answer')}")
    except Exception as exc:
        reason = exc if isinstance(exc, DomainError) else CutoutFailed(f"the cutout failed: {exc}")
        lifecycle.end_job(job, lifecycle.Failed(reason.code, f"{reason.message}; it was refunded"))
        raise reason from exc
    if answer["status"] == JobStatus.FAILED:
        return Answer(JobStatus.FAILED, answer.get("reason", ""), answer.get("detail", ""))
    image = answer.get("image")
    return Answer(
        JobStatus.COMPLETED,
        width=answer["width"],
        height=answer["height"],
        foreground=tuple(answer["foreground"]) if answer.get("foreground") else None,
        result_key=answer["resultKey"],
        image=base64.b64decode(image) if image else None,
    )
