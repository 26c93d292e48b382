"""POST /remove: one image, in the request (multipart) or through a presigned upload (JSON)."""

import json

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import ConfigDict, Field, ValidationError, create_model
from pydantic.fields import FieldInfo

from bgr_core.api.identity import Identity
from bgr_core.api.requests import CallbackUrl, UploadRequest
from bgr_core.api.responses import COMPONENTS
from bgr_core.api.uploads import parse_inline
from bgr_core.api.views import Schema
from bgr_core.money.pricing import TierName
from bgr_core.platform import storage
from bgr_core.platform.errors import BadRequest, NotAcceptable
from bgr_core.platform.lambda_payloads import MAX_INLINE_RESULT_BYTES
from bgr_core.platform.models import Job
from bgr_core.work import inline_removals, jobs
from bgr_core.work.output_options import MEDIA_TYPES, OutputOptions

IMAGE_FORMATS = {MEDIA_TYPES[f]: f for f in ("png", "webp")}
IMAGE_CONTENT = {media: {"schema": {"type": "string", "format": "binary"}} for media in IMAGE_FORMATS}


# Output options may come as plain form fields (as users try them) as well as the `options` JSON.
OPTION_FIELDS = {
    "format": "format",
    "bgColor": "bgColor",
    "crop": "crop",
    "cropMargin": "margin",
    "channels": "channels",
}


def _plain_option(form_field: str, option: str) -> tuple[type, FieldInfo]:
    """An OutputOptions field as a form field: the same type and rules, under the form's name."""
    info = next(f for n, f in OutputOptions.model_fields.items() if (f.alias or n) == option)
    return info.annotation, FieldInfo.merge_field_infos(info, default=None, alias=form_field)


class _Form(Schema):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 400 naming it


# The form's fields, as read_form takes them: it refuses any other.
MultipartForm = create_model(
    "MultipartForm",
    __base__=_Form,
    __doc__="POST /remove's multipart form: the image, its tier and the output options.",
    image=(bytes, Field(description="JPEG, PNG or WebP, at most 5 MB")),
    tier=(TierName, ...),
    options=(str | None, Field(None, description="output options as a JSON object")),
    **{field: _plain_option(field, option) for field, option in OPTION_FIELDS.items()},
    callback_url=(CallbackUrl, None),
)
FORM_FIELDS = tuple(info.alias or name for name, info in MultipartForm.model_fields.items())
# POST /remove's two bodies, each documented from the model that describes it (openapi.describe).
BODY_MODELS = {"multipart/form-data": MultipartForm, "application/json": UploadRequest}


class InlineForm(Schema):
    tier: TierName
    options: OutputOptions
    callback_url: CallbackUrl = None


def read_form(fields: dict[str, str], default_format: str | None = None) -> InlineForm:
    """The multipart form's text fields as a validated form: unknown fields are a 400 naming them,
    an option given both plainly and in `options` a 400 too; `default_format` applies when the
    form names none (the Accept header's choice)."""
    unknown = sorted(set(fields) - set(FORM_FIELDS))
    if unknown:
        raise BadRequest(
            f"unknown form fields: {', '.join(unknown)}; the form takes {', '.join(FORM_FIELDS)}"
        )
    options = _options_json(fields.get("options"))
    for field, option in OPTION_FIELDS.items():
        if field in fields:
            if option in options or field in options:
                raise BadRequest(f"`{field}` is given both as a form field and in `options`")
            options[option] = fields[field]
    if default_format and options.setdefault("format", default_format) != default_format:
        raise NotAcceptable(f"`format` is {options['format']!r} but Accept asks for image/{default_format}")
    try:
        return InlineForm.model_validate(
            {"tier": fields.get("tier"), "options": options, "callbackUrl": fields.get("callbackUrl")}
        )
    except ValidationError as exc:
        plain = {option: field for field, option in OPTION_FIELDS.items() if field in fields}
        raise RequestValidationError([_as_form_error(e, plain) for e in exc.errors()]) from exc


def _as_form_error(error: dict, plain: dict[str, str]) -> dict:
    """Names the field as the client sent it: `cropMargin`, or `options.margin`."""
    loc = tuple(error["loc"])
    if loc[:1] == ("options",) and len(loc) > 1 and loc[1] in plain:
        loc = (plain[loc[1]], *loc[2:])
    return {**error, "loc": ("form", *loc)}


def _options_json(raw: str | None) -> dict:
    if not raw:
        return {}
    try:
        options = json.loads(raw)
    except ValueError as exc:
        raise BadRequest("`options` is not valid JSON") from exc
    if not isinstance(options, dict):
        raise BadRequest("`options` must be a JSON object")
    return options


def create_inline(
    user: Identity, body: bytes, content_type: str, default_format: str | None = None, *, now: bool = False
) -> Job:
    """The multipart form read and validated, then the job started (work.inline_removals): queued,
    or, `now`, run in this request and returned finished. Nothing is charged for a refused form."""
    image = parse_inline(body, content_type)
    form = read_form(image.fields, default_format)
    removal = inline_removals.start(
        user.user_id,
        inline_removals.Image(image.filename, image.data, image.content_type),
        form.tier,
        form.options,
        now=now,
        test=user.test,
        callback_url=form.callback_url,
    )
    return removal.job


def create_presigned(user_id: str, request: UploadRequest) -> tuple[Job, dict]:
    """Refuses what could never process before charging, then the job and its upload form."""
    storage.check_declared(request.content_type, request.size_bytes)
    job = jobs.create(
        user_id,
        request.tier,
        request.filename,
        options=request.options,
        size_bytes=request.size_bytes,
        callback_url=request.callback_url,
    )
    return job, storage.presigned_upload(
        job.original_key, request.content_type, request.size_bytes, job.upload_deadline
    )


def wanted_format(accept: str | None) -> str | None:
    """The cutout format the Accept header prefers over JSON (png or webp), else None."""
    best, best_q = None, 0.0
    for part in (accept or "").split(","):
        media, *params = (p.strip().lower() for p in part.split(";"))
        q = next((_q(p[2:]) for p in params if p.startswith("q=")), 1.0)
        choice = IMAGE_FORMATS.get(media) or ("json" if media in ("application/json", "*/*") else None)
        if choice and q > best_q:
            best, best_q = choice, q
    return None if best == "json" else best


def _q(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def cutout_response(job: Job, headers: dict[str, str]) -> Response:
    """A completed job's cutout as the response body (a 303 to its download when too big for one)."""
    headers = {**headers, "X-Job-Id": job.id}
    if job.width is not None:
        headers.update({"X-Width": str(int(job.width)), "X-Height": str(int(job.height))})
    if storage.object_size(job.result_key) > MAX_INLINE_RESULT_BYTES:
        return Response(303, headers={**headers, "Location": storage.presigned_download(job.result_key)})
    return Response(
        200,
        content_type=MEDIA_TYPES[job.options.format],
        body=storage.get_bytes(job.result_key),
        headers=headers,
    )


REQUEST_BODY = {
    "required": True,
    "content": {
        media: {"schema": {"$ref": COMPONENTS + model.__name__}} for media, model in BODY_MODELS.items()
    },
}
REQUEST_BODY["content"]["multipart/form-data"]["encoding"] = {
    "image": {"contentType": "image/jpeg, image/png, image/webp"}
}
