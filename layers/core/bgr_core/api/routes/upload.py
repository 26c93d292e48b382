"""Everything that charges: single images, batches and integration batches (the upload function)."""

import base64
from typing import Annotated

from aws_lambda_powertools.event_handler import Request, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import Router

from ... import batches
from ...errors import UnsupportedMedia
from ...storage import INTEGRATION_APPS
from .. import features, ratelimit, removals
from ..identity import User
from ..schemas import (
    BatchCreated,
    BatchRequest,
    BatchResponse,
    BatchUpload,
    BatchView,
    IntegrationBatchRequest,
    JobResponse,
    JobUploadResponse,
    JobView,
    Upload,
    UploadRequest,
    respond,
)
from ..uploads import check_declared
from . import BGR, MAX_ID_LENGTH

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


batch_on = [features.required("batch"), ratelimit.charging]


@router.post(
    f"{BGR}/batch",
    summary="Create a batch: charged up front, one presigned upload per image",
    status_code=201,
    middlewares=batch_on,
)
def create_batch(request: Annotated[BatchRequest, Body()], user: User) -> Response[BatchCreated]:
    for image in request.images:
        check_declared(image.content_type, image.size_bytes)
    specs = [
        batches.ImageSpec(filename=i.filename, content_type=i.content_type, size_bytes=i.size_bytes)
        for i in request.images
    ]
    batch, items = batches.create(user.user_id, request.tier, specs, options=request.options)
    uploads = [BatchUpload(**form) for form in batches.upload_forms(batch, items)]
    created = BatchCreated(batch=BatchView.of(batch, items), uploads=uploads)
    return respond(created, 201, credits_header(int(batch.credits_charged)))


@router.post(
    "/api/integrations/<app>/batch",
    summary="A batch of the images a platform app stored for the caller (no upload)",
    status_code=201,
    middlewares=[features.required("integrations"), *batch_on],
)
def integration_batch(
    app: Annotated[str, Path(description=", ".join(INTEGRATION_APPS), max_length=MAX_ID_LENGTH)],
    request: Annotated[IntegrationBatchRequest, Body()],
    user: User,
) -> Response[BatchResponse]:
    batch = batches.create_from_app(
        user.user_id, app, request.tier, options=request.options, keys=request.keys
    )
    return respond(BatchResponse(batch=BatchView.of(batch)), 201, credits_header(int(batch.credits_charged)))
