"""In-request images cut out now: the inference function invoked directly (Lambda Invoke,
RequestResponse) instead of S3 event -> SQS -> worker -> poll, within API Gateway's 29 s.

The original is stored under `direct/` (which raises no S3 event, so the queue never runs it a
second time); the function runs the job exactly as a queued one (start, cutout, result, complete
or fail and refund). Which function runs a tier is configuration, per tier class (light tiers,
matting tiers), so the tiers can be served by different functions. An invoke that fails, or
answers no finished job, fails the job and refunds it here: nothing is charged for it.
"""

import json
from functools import lru_cache

import boto3
from botocore.config import Config

from . import jobs, storage
from .config import get_settings
from .errors import DomainError, ServiceUnavailable
from .models import Job

INVOKE_TIMEOUT_S = 28  # API Gateway gives up at 29 s


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


def store_original(job: Job, data: bytes, content_type: str) -> None:
    """Stores what the job will cut out; a store that fails refunds the job."""
    try:
        storage.put_image(job.original_key, data, content_type)
    except Exception:
        jobs.fail(job, "UPLOAD_FAILED", "the image could not be stored; it was refunded")
        raise


def run(job: Job) -> tuple[Job, dict]:
    """Runs the job now; the finished job (completed, or failed and refunded) and what the
    function answered (`foreground`: the subject's left, top, width, height)."""
    try:
        response = _lambda().invoke(
            FunctionName=function_for(job.tier),
            InvocationType="RequestResponse",
            Payload=json.dumps({"jobId": job.id}).encode(),
        )
        answer = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            raise CutoutFailed(f"the cutout failed: {(answer or {}).get('errorMessage', 'unknown error')}")
    except Exception as exc:
        reason = exc if isinstance(exc, DomainError) else CutoutFailed(f"the cutout failed: {exc}")
        jobs.fail(job, reason.code, f"{reason.message}; it was refunded")
        raise reason from exc
    finished = jobs.get(job.id) or job
    if finished.status not in ("completed", "failed"):
        jobs.fail(job, CutoutFailed.code, "the cutout did not finish; it was refunded")
        raise CutoutFailed("the cutout did not finish")
    return finished, answer or {}
