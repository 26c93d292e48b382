"""Everything that charges: single images, batches and integration batches (the upload function)."""

import base64
from typing import Annotated

from aws_lambda_powertools.event_handler import Request, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import Router

from bgr_core.api import features, ratelimit, removals
from bgr_core.api.identity import User
from bgr_core.api.paths import BGR, MAX_ID_LENGTH
from bgr_core.api.requests import BatchRequest, IntegrationBatchRequest, UploadRequest
from bgr_core.api.responses import errors
from bgr_core.api.views import (
    BatchCreated,
    BatchResponse,
    BatchUpload,
    BatchView,
    JobResponse,
    JobUploadResponse,
    JobView,
    Upload,
    respond,
)
from bgr_core.platform.errors import BadRequest, UnsupportedMedia
from bgr_core.platform.storage import INTEGRATION_APPS
from bgr_core.work import batches, cancellation
from bgr_core.work.status import JOB_FINAL, JobStatus

router = Router()


def credits_header(charged: int) -> dict[str, str]:
    return {"X-Credits-Charged": str(charged)}


@router.post(
    f"{BGR}/remove",
    summary="Remove one image's background",
    description=(
        "multipart/form-data with `image` (JPEG, PNG or WebP, ≤ 5 MB), `tier` and output options as "
        "plain fields (`format`, `bgColor`, `crop`, `cropMargin`, `channels`) or as `options` JSON → "
        "202 {job}; with `?wait=N` (1-25 s) 200 {job} once it finished within N s (202 when not), and "
        "with `Accept: image/png` or `image/webp` the cutout's bytes instead. Or JSON "
        "{tier, filename, contentType, sizeBytes, options?} → 201 {job, upload}: POST the file to "
        "`upload.url` with `upload.fields`."
    ),
    responses={
        200: {
            "description": "waited: the job finished (or its cutout, as the Accept header asked)",
            "content": {"application/json": {"model": JobResponse}, **removals.IMAGE_CONTENT},
        },
        201: {
            "description": "job created; upload pending",
            "content": {"application/json": {"model": JobUploadResponse}},
        },
        202: {
            "description": "image received; job queued (or still running after the wait)",
            "content": {"application/json": {"model": JobResponse}},
        },
        303: {
            "description": "waited, asked for the bytes, and the cutout is over 4 MB: Location is its URL",
            "content": {},
        },
        **errors(400, 402, 406, 413, 415, 422),
    },
    # The route reads its body itself: Powertools gives a route one request body of one media type
    # (File/Form or a model), and this one takes a multipart image or a JSON presigned-upload
    # request. Both bodies are documented from their models (removals.BODY_MODELS).
    openapi_extensions={"requestBody": removals.REQUEST_BODY},
    middlewares=[ratelimit.charging],
)
def remove(
    request: Request,
    user: User,
    wait: Annotated[int | None, Query(ge=1, le=25, description="seconds to wait for the cutout")] = None,
):  # no return model: the bytes or one of three JSON shapes, each documented above
    event = request.resolved_event
    content_type = event.headers.get("content-type") or "application/json"
    body = event.body or ""
    if content_type.startswith("multipart/form-data"):
        wanted = removals.wanted_format(event.headers.get("accept"))
        raw = base64.b64decode(body) if event.is_base64_encoded else body.encode("latin-1")
        # waited for: cut out in this request by a direct invoke, not through the queue
        job = removals.create_inline(user, raw, content_type, default_format=wanted, now=bool(wait))
        headers = credits_header(int(job.credits_used))
        if not wait or job.status not in JOB_FINAL:
            return respond(JobResponse(job=JobView.of(job)), 202, headers)
        if wanted and job.status == JobStatus.COMPLETED:
            return removals.cutout_response(job, headers)
        return respond(JobResponse(job=JobView.of(job)), 200, headers)
    if not content_type.startswith("application/json"):
        raise UnsupportedMedia("send multipart/form-data (an image) or application/json (an upload request)")
    if wait:
        raise BadRequest("?wait applies to an image sent in the request (multipart); upload first")
    job, upload = removals.create_presigned(user.user_id, UploadRequest.model_validate_json(body))
    return respond(
        JobUploadResponse(job=JobView.of(job), upload=Upload(**upload)),
        201,
        credits_header(int(job.credits_used)),
    )


batch_on = [features.required("batch"), ratelimit.charging]


@router.post(
    f"{BGR}/batch",
    summary="Create a batch: charged up front, one presigned upload per image",
    status_code=201,
    responses=errors(402, 413, 415),
    middlewares=batch_on,
)
def create_batch(request: Annotated[BatchRequest, Body()], user: User) -> Response[BatchCreated]:
    batch, items = batches.create(
        user.user_id, request.tier, request.images, options=request.options, callback_url=request.callback_url
    )
    uploads = [BatchUpload(**form) for form in batches.upload_forms(batch, items)]
    created = BatchCreated(batch=BatchView.of(batch), uploads=uploads)
    return respond(created, 201, credits_header(int(batch.credits_charged)))


@router.post(
    "/api/integrations/<app>/batch",
    summary="A batch of the images a platform app stored for the caller (no upload)",
    status_code=201,
    responses=errors(402, 404, 413, 415),
    middlewares=[features.required("integrations"), *batch_on],
)
def integration_batch(
    app: Annotated[str, Path(description=", ".join(INTEGRATION_APPS), max_length=MAX_ID_LENGTH)],
    request: Annotated[IntegrationBatchRequest, Body()],
    user: User,
) -> Response[BatchResponse]:
    batch = batches.create_from_app(
        user.user_id,
        app,
        request.tier,
        options=request.options,
        keys=request.keys,
        callback_url=request.callback_url,
    )
    return respond(BatchResponse(batch=BatchView.of(batch)), 201, credits_header(int(batch.credits_charged)))


@router.delete(
    f"{BGR}/batch/<batchId>",
    summary="Cancel a batch: images not started are refunded, running ones finish and are zipped",
    middlewares=[features.required("batch")],
)
def cancel_batch(batch_id: Annotated[str, Path(alias="batchId")], user: User) -> BatchResponse:
    batch = cancellation.cancel_batch(user.user_id, batch_id)
    return BatchResponse(batch=BatchView.of(batch))
