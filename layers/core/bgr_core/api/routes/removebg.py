"""remove.bg's API v1.0 for X-Api-Key callers (the removebg function): `POST /v1.0/removebg`
answers the cutout itself (bytes, or `{"data": {"result_b64", ...}}` for `Accept:
application/json`), `GET /v1.0/account` the balance. Errors in remove.bg's shape,
`{"errors": [{"title", "code", "detail"}]}`; nothing refused is charged, a cutout that fails is
refunded.
"""

import base64
from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Request, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import File, Form, UploadFile
from aws_lambda_powertools.event_handler.router import Router
from pydantic import ValidationError

from bgr_core.api import ratelimit
from bgr_core.api.errors import NO_ROUTE, body_unreadable
from bgr_core.api.identity import KeyUser
from bgr_core.api.responses import RemoveBgErrors, errors
from bgr_core.api.uploads import MAX_INLINE_BYTES, sniff
from bgr_core.integrations import guarded_http, removebg_request
from bgr_core.integrations.removebg_request import RemoveBgError
from bgr_core.money import charge_decision, credits, subscriptions
from bgr_core.platform import features, storage
from bgr_core.platform.errors import DomainError
from bgr_core.platform.storage import MAX_IMAGE_BYTES
from bgr_core.work import inline_removals
from bgr_core.work.status import JobStatus

logger = Logger()
router = Router()
V1 = "/v1.0"

# remove.bg's titles for this service's error codes; statuses are remove.bg's (400, 402, 403, 429).
_TITLES = {
    "INSUFFICIENT_CREDITS": ("Insufficient credits", "insufficient_credits", 402),
    "RATE_LIMITED": ("Rate limit exceeded", "rate_limit_exceeded", 429),
    "TOO_MANY_IN_FLIGHT": ("Too many images in flight", "rate_limit_exceeded", 429),
    "UNAUTHORIZED": ("Invalid API key", "auth_failed", 403),
    "FORBIDDEN": ("Forbidden", "forbidden", 403),
    "TOO_LARGE": ("File too large", "file_too_large", 400),
    "TOO_MANY_PIXELS": ("Image resolution too high", "resolution_too_high", 400),
    "URL_BODY_TOO_LARGE": ("File too large", "file_too_large", 400),
    "URL_NOT_ALLOWED": ("Invalid image URL", "invalid_image_url", 400),
    "URL_FETCH_FAILED": ("Failed to download image", "failed_download", 400),
    "EMPTY_FILE": ("Invalid image", "invalid_image", 400),
    "NOT_AN_IMAGE": ("Invalid image", "invalid_image", 400),
    "CORRUPT_IMAGE": ("Invalid image", "invalid_image", 400),
    "UNSUPPORTED_FORMAT": ("Unsupported image format", "unknown_format", 400),
    "UNSUPPORTED_MEDIA_TYPE": ("Unsupported image format", "unknown_format", 400),
    "BAD_DIMENSIONS": ("Invalid image dimensions", "invalid_dimensions", 400),
    "BACKGROUND_URL_FETCH_FAILED": ("Failed to download background image", "failed_download", 400),
}
_BACKGROUND = ("Invalid background image", "invalid_bg_image", 400)  # the other BACKGROUND_ codes
_FAILED = ("Failed to process image", "processing_failed", 400)


def errors_body(title: str, code: str, detail: str = "") -> dict:
    return {"errors": [{"title": title, "code": code, "detail": detail}]}


def _error(status: int, title: str, code: str, detail: str = "", headers: dict | None = None) -> Response:
    return Response(status, content_types.APPLICATION_JSON, errors_body(title, code, detail), headers)


def as_removebg(exc: DomainError) -> tuple[int, str, str, str]:
    """(status, title, code, detail) of a domain error in remove.bg's terms."""
    if isinstance(exc, RemoveBgError):
        return exc.status, exc.title, exc.code, exc.detail
    title, code, status = _TITLES.get(
        exc.code, (exc.code.replace("_", " ").capitalize(), exc.code.lower(), None)
    )
    if status is None:
        status = exc.status if exc.status >= 500 else 400
    return status, title, code, exc.message


def register_errors(app: APIGatewayRestResolver) -> None:
    """remove.bg's error shape instead of `{"error": ...}` (registered after the defaults)."""

    @app.exception_handler(DomainError)
    def domain_error(exc: DomainError) -> Response:
        status, title, code, detail = as_removebg(exc)
        return _error(status, title, code, detail, exc.details.get("headers"))

    @app.exception_handler(RequestValidationError)
    def request_invalid(exc: RequestValidationError) -> Response:
        event = app.current_event
        if too_large := _too_large(event):
            return domain_error(too_large)
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            return _error(400, "Invalid JSON", "invalid_json", "the body is not valid JSON")
        json_body = (event.headers.get("content-type") or "application/json").startswith("application/json")
        if json_body and not isinstance(event.json_body, dict):
            return _error(400, "Invalid JSON", "invalid_json", "the body must be a JSON object")
        fields = ", ".join(str(e["loc"][-1]) for e in exc.errors())
        return _error(400, "Invalid request", "invalid_parameter", f"invalid: {fields}")

    @app.exception_handler(ValidationError)
    def model_invalid(exc: ValidationError) -> Response:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        return _error(400, "Invalid request", "invalid_parameter", f"invalid: {fields}")

    @app.exception_handler(NotFoundError)
    def no_route(exc: NotFoundError) -> Response:
        return _error(404, "Not found", "not_found", NO_ROUTE)

    @app.exception_handler(ValueError)
    def unreadable(exc: ValueError) -> Response:
        if not body_unreadable(exc):
            return unexpected(exc)
        if too_large := _too_large(app.current_event):
            return domain_error(too_large)
        detail = f"the multipart body cannot be read ({exc}): send files with a filename, text in UTF-8"
        return _error(400, "Invalid request", "invalid_parameter", detail)

    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported_content(exc: RequestUnsupportedContentType) -> Response:
        detail = "send multipart/form-data, application/x-www-form-urlencoded or application/json"
        return _error(400, "Unsupported content type", "invalid_parameter", detail)

    @app.exception_handler(Exception)
    def unexpected(exc: Exception) -> Response:
        request_id = app.current_event.request_context.request_id
        logger.exception("unexpected error", extra={"requestId": request_id})
        return _error(500, "Internal error", "internal_error", f"request {request_id}")


def _too_large(event) -> RemoveBgError | None:
    """Checked first in the route and in the mappers of what Powertools' body parsing refused (it
    parses before any of this code runs; Lambda's 6 MB payload limit bounds that work)."""
    size = len(event.body or "")
    if event.is_base64_encoded:
        size = size * 3 // 4
    if size > MAX_INLINE_BYTES * 4 // 3 + 64 * 1024:  # a JSON body carries the image in base64
        return RemoveBgError(
            "File too large", "file_too_large", "send at most 5 MB in a request; or image_url"
        )
    return None


def _image(req: removebg_request.Request) -> bytes:
    if req.image_url is None:
        data = req.image
    else:
        fetched = guarded_http.fetch(
            req.image_url, guarded_http.Policy.from_settings(max_bytes=MAX_IMAGE_BYTES)
        )
        if fetched.status != 200:
            raise RemoveBgError(
                "Failed to download image", "failed_download", f"image_url answered HTTP {fetched.status}"
            )
        data = fetched.body
    if not data:
        raise RemoveBgError("Invalid image", "invalid_image", "the image is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise RemoveBgError(
            "File too large", "file_too_large", f"images are at most {storage.megabytes(MAX_IMAGE_BYTES)}"
        )
    return data


Text = Annotated[str | None, Form()]
Flag = Annotated[str | bool | None, Form()]  # form text, or a JSON body's true/false
Number = Annotated[str | int | None, Form()]  # form text, or a JSON body's number
FileField = Annotated[UploadFile | None, File()]


@router.post(
    f"{V1}/removebg",
    summary="remove.bg API v1.0: remove the background, the cutout in the response (X-Api-Key)",
    description="The fields as multipart/form-data, application/x-www-form-urlencoded or a JSON object.",
    responses=errors(400, 402, 403, 429, 503, model=RemoveBgErrors),
    middlewares=[ratelimit.charging],
)
def remove_background(  # each of remove.bg's fields a parameter: the OpenAPI body lists them
    request: Request,
    user: KeyUser,
    image_file: FileField = None,
    image_file_b64: Text = None,
    image_url: Text = None,
    bg_image_file: FileField = None,
    bg_image_url: Text = None,
    bg_color: Text = None,
    size: Text = None,
    type: Text = None,
    type_level: Text = None,
    format: Text = None,
    channels: Text = None,
    crop: Flag = None,
    crop_margin: Number = None,
    roi: Text = None,
    scale: Text = None,
    position: Text = None,
    shadow_type: Text = None,
    shadow_opacity: Number = None,
    add_shadow: Flag = None,
    tier: Text = None,
):
    fields = {name: value for name, value in locals().items() if value is not None}
    del fields["request"], fields["user"]
    event = request.resolved_event
    if too_large := _too_large(event):
        raise too_large
    files = {}
    for name in ("image_file", "bg_image_file"):
        if name in fields:
            upload = fields.pop(name)
            files[name] = (upload.filename or "image", upload.content)
    req = removebg_request.parse(fields, files)
    if user.test:
        req = removebg_request.sandboxed(req)
    data = _image(req)
    kind = sniff(data)
    if kind is None:
        raise RemoveBgError("Invalid image", "invalid_image", "the file is not a JPEG, PNG or WebP image")
    backdrop = req.background and sniff(req.background)
    if req.background is not None and not backdrop:
        raise removebg_request.invalid("bg_image_file", "bg_image_file is not a JPEG, PNG or WebP image")
    removal = inline_removals.start(
        user.user_id,
        inline_removals.Image(req.filename, data, kind),
        req.tier,
        req.options,
        now=True,
        test=user.test,
        credits_per_image=req.credits_per_image,
        background=inline_removals.Image("background", req.background, backdrop) if backdrop else None,
    )
    job, done = removal.job, removal.answer
    if done.status != JobStatus.COMPLETED:  # failed, and refunded
        title, code, _ = _TITLES.get(
            done.error_code, _BACKGROUND if done.error_code.startswith("BACKGROUND_") else _FAILED
        )
        return _error(400, title, code, done.error_message)
    result = done.result()
    headers = {
        "X-Credits-Charged": str(int(job.credits_used)),
        "X-Type": req.reported_type,
        "X-Width": str(done.width),
        "X-Height": str(done.height),
    }
    box = done.foreground
    if box:
        left, top, width, height = box
        headers.update(
            {
                "X-Foreground-Left": str(left),
                "X-Foreground-Top": str(top),
                "X-Foreground-Width": str(width),
                "X-Foreground-Height": str(height),
            }
        )
    if "application/json" in (event.headers.get("accept") or ""):
        data_json = {"result_b64": base64.b64encode(result).decode()}
        if box:
            data_json.update(
                foreground_top=box[1],
                foreground_left=box[0],
                foreground_width=box[2],
                foreground_height=box[3],
            )
        return Response(200, content_types.APPLICATION_JSON, {"data": data_json}, headers)
    return Response(200, req.options.media_type, result, headers)


@router.get(
    f"{V1}/account",
    summary="remove.bg API v1.0: the credit balance (X-Api-Key)",
    responses=errors(403, 429, 503, model=RemoveBgErrors),
)
def account(user: KeyUser):
    sub = subscriptions.get(user.user_id) if features.enabled("subscriptions") else None
    free_calls = charge_decision.quota_room(subscriptions.quota_use(sub, subscriptions.today()), "basic")
    balance = credits.balance(user.user_id)
    body = {
        "data": {
            "attributes": {
                "credits": {"total": balance, "subscription": 0, "payg": balance, "enterprise": 0},
                "api": {"free_calls": free_calls, "sizes": "all"},
            }
        }
    }
    return Response(200, content_types.APPLICATION_JSON, body)
