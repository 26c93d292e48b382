"""POST /remove: single images (the upload function)."""

import base64
from typing import Annotated

from aws_lambda_powertools.event_handler import Request, Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from ...errors import UnsupportedMedia
from .. import ratelimit, removals
from ..identity import User
from ..schemas import JobResponse, JobUploadResponse, JobView, Upload, UploadRequest, respond
from . import BGR

router = Router()


def credits_header(charged: int) -> dict[str, str]:
    return {"X-Credits-Charged": str(charged)}


@router.post(
    f"{BGR}/remove",
    summary="Remove one image's background",
    description=(
        "multipart/form-data with `image` (JPEG, PNG or WebP, ≤ 5 MB) and `tier` → 202 {job}; or JSON "
        "{tier, filename, contentType, sizeBytes, options?} → 201 {job, upload}: POST the file to "
        "`upload.url` with `upload.fields`. `?wait=N` (≤ 25 s) returns the job once finished."
    ),
    responses={
        201: {
            "description": "job created; upload pending",
            "content": {"application/json": {"model": JobUploadResponse}},
        },
        202: {
            "description": "image received; job queued",
            "content": {"application/json": {"model": JobResponse}},
        },
    },
    middlewares=[ratelimit.charging],
)
def remove(
    request: Request, user: User, wait: Annotated[float, Query(ge=0)] = 0
) -> Response[JobUploadResponse | JobResponse]:
    event = request.resolved_event
    content_type = event.headers.get("content-type") or "application/json"
    body = event.body or ""
    if content_type.startswith("multipart/form-data"):
        raw = base64.b64decode(body) if event.is_base64_encoded else body.encode("latin-1")
        job = removals.create_inline(user.user_id, raw, content_type)
        job = _waited(job, wait, request)
        return respond(JobResponse(job=JobView.of(job)), 202, credits_header(int(job.credits_used)))
    if not content_type.startswith("application/json"):
        raise UnsupportedMedia("send multipart/form-data (an image) or application/json (an upload request)")
    job, upload = removals.create_presigned(user.user_id, UploadRequest.model_validate_json(body))
    job = _waited(job, wait, request)
    return respond(
        JobUploadResponse(job=JobView.of(job), upload=Upload(**upload)),
        201,
        credits_header(int(job.credits_used)),
    )


def _waited(job, wait: float, request: Request):
    if not wait:
        return job
    context = request.context.get("lambda_context")
    left = context.get_remaining_time_in_millis() if context else 29_000
    return removals.wait_for(job, wait, left)
