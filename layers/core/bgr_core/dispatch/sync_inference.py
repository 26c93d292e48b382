"""In-request images cut out now: the inference function invoked directly (Lambda Invoke,
RequestResponse) instead of S3 event -> SQS -> worker -> poll, within API Gateway's 29 s.

The original goes in the payload (or, when too large for it, under `direct/`, which raises no S3
event, so the queue never runs it a second time); the function runs the job exactly as a queued
one (start, cutout, result stored, complete or fail and refund) and answers with the result.
Which function runs a tier is configuration, per tier class (light tiers, matting tiers), so the
tiers can be served by different functions. An invoke that fails, or answers no finished job,
fails the job and refunds it here: nothing is charged for it.

The caller's deadline travels with the invoke (`deadline`, when this side stops waiting): the
function does not start a job past it and writes nothing for one it finishes after it, failing
(and refunding) the job itself unless this side already has, so work nobody waits for is neither
finished for free nor paid twice. What a failed invoke said (function names, endpoints, AWS's
own words) is logged, never put in an answer or on the job.
"""

import base64
import json
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from bgr_core.platform import storage
from bgr_core.platform.config import get_settings
from bgr_core.platform.errors import DomainError, ServiceUnavailable
from bgr_core.platform.models import Job
from bgr_core.work import jobs, lifecycle, upload_deadlines
from bgr_core.work.status import JOB_FINAL, JobStatus

INVOKE_TIMEOUT_S = 28  # API Gateway gives up at 29 s
# Lambda's synchronous payloads are at most 6 MB: an original up to this size (4/3 of it in
# base64) goes in the payload, a larger one through S3.
INLINE_IMAGE_BYTES = 4 * 1024 * 1024


logger = Logger(child=True)
NOT_RUN = "the cutout could not be run now; it was refunded"


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
    deadline = upload_deadlines.clock() + timedelta(seconds=INVOKE_TIMEOUT_S)
    payload = {"jobId": job.id, "deadline": deadline.isoformat()}
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
            raise RuntimeError(f"the function failed: {answer.get('errorMessage', 'unknown error')}")
        if answer.get("status") not in JOB_FINAL:
            raise RuntimeError(f"the function did not run the job: {answer.get('reason', 'no answer')}")
    except Exception as exc:
        logger.warning("direct cutout failed", extra={"jobId": job.id, "error": repr(exc)})
        reason = exc if isinstance(exc, DomainError) else CutoutFailed(NOT_RUN)
        lifecycle.end_job(job, lifecycle.Failed(reason.code, NOT_RUN))
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
