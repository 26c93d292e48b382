"""The bucket's layout and the S3 calls every function shares.

uploads/, batches/ and drop/ raise events (originals); results/, thumbs/, zips/, apps/, direct/
and staged/ (images uploaded before they are used: the MCP server's uploads) do not.
"""

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.exceptions import ClientError

from bgr_core.platform import aws_clients
from bgr_core.platform.config import get_settings
from bgr_core.platform.errors import BadRequest, TooLarge, UnsupportedMedia

MAX_IMAGE_BYTES = 10 * 1024 * 1024
IMAGE_CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp")
INTEGRATION_APPS = ("avatar-creator", "pose-generator", "image-upscaler", "carousel-mix")


def megabytes(size_bytes: int) -> str:
    """A size as people read it in an error: 10 MB, 4.5 MB, 2 GB (binary units, as the limits are),
    rounded up to a tenth, so a size just over a limit never reads as the limit itself."""
    value, unit = size_bytes / 2**20, "MB"
    if value >= 1024:
        value, unit = value / 1024, "GB"
    return f"{math.ceil(value * 10) / 10:.1f}".removesuffix(".0") + f" {unit}"


def check_declared(content_type: str, size_bytes: int) -> None:
    """An upload declared before it is sent is refused, before anything is charged, if it could
    never be processed: over MAX_IMAGE_BYTES (413) or not an image type we read (415)."""
    if size_bytes > MAX_IMAGE_BYTES:
        raise TooLarge(f"images are at most {megabytes(MAX_IMAGE_BYTES)}, not {megabytes(size_bytes)}")
    if content_type.split(";")[0].strip().lower() not in IMAGE_CONTENT_TYPES:
        raise UnsupportedMedia(f"{content_type!r} is not one of {', '.join(IMAGE_CONTENT_TYPES)}")


def safe_filename(name: str) -> str:
    """A file name without directories, control characters or leading dots."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^\w.\- ()]+", "_", base).strip(" .")
    return base[:120] or "image"


# -- keys ---------------------------------------------------------------------------------
def upload_key(user_id: str, job_id: str, filename: str) -> str:
    return f"uploads/{user_id}/{job_id}/{safe_filename(filename)}"


def direct_key(user_id: str, job_id: str, filename: str) -> str:
    """An original cut out by a direct invoke: under a prefix that raises no event."""
    return f"direct/{user_id}/{job_id}/{safe_filename(filename)}"


def staged_key(user_id: str, upload_id: str, filename: str) -> str:
    """An image uploaded for later use (an upload id), under a prefix that raises no event."""
    return f"staged/{user_id}/{upload_id}/{safe_filename(filename)}"


def batch_item_key(user_id: str, batch_id: str, index: int, filename: str) -> str:
    return f"batches/{user_id}/{batch_id}/{index:03d}/{safe_filename(filename)}"


def result_key(user_id: str, record_id: str, extension: str, *, folder: str = "") -> str:
    """results/<user>/[<folder>/]<id>.<ext>: folder is `drop` or `batches/<batchId>`."""
    return f"results/{user_id}/{folder + '/' if folder else ''}{record_id}.{extension}"


def thumbnail_key(user_id: str, record_id: str) -> str:
    return f"thumbs/{user_id}/{record_id}.webp"


def zip_key(user_id: str, batch_id: str) -> str:
    return f"zips/{user_id}/{batch_id}.zip"


def app_prefix(app: str, user_id: str) -> str:
    return f"apps/{app}/{user_id}/"


@dataclass(frozen=True)
class IngestKey:
    """What an object created under an event-raising prefix is."""

    kind: str  # upload | batch | drop
    user_id: str
    filename: str
    job_id: str | None = None
    batch_id: str | None = None
    index: int | None = None
    tier: str | None = None


_INGEST_PATTERNS = (
    ("upload", re.compile(r"^uploads/(?P<user_id>[^/]+)/(?P<job_id>[^/]+)/(?P<filename>[^/]+)$")),
    (
        "batch",
        re.compile(r"^batches/(?P<user_id>[^/]+)/(?P<batch_id>[^/]+)/(?P<index>\d{3})/(?P<filename>[^/]+)$"),
    ),
    ("drop", re.compile(r"^drop/(?P<user_id>[^/]+)/(?P<tier>[^/]+)/(?P<filename>.+)$")),
    ("drop", re.compile(r"^drop/(?P<user_id>[^/]+)/(?P<filename>[^/]+)$")),  # no tier folder: refused
)


def parse_ingest_key(key: str) -> IngestKey:
    for kind, pattern in _INGEST_PATTERNS:
        match = pattern.match(key)
        if match:
            fields = match.groupdict()
            if "index" in fields:
                fields["index"] = int(fields["index"])
            return IngestKey(kind=kind, **fields)
    raise BadRequest(f"{key!r} is not an upload, batch item or drop-folder key")


# -- objects ------------------------------------------------------------------------------
def arrival(key: str) -> datetime | None:
    """When the object was stored (S3's Last-Modified), or None when it is not there."""
    try:
        return aws_clients.client("s3").head_object(Bucket=get_settings().bucket_name, Key=key)[
            "LastModified"
        ]
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def object_size(key: str) -> int:
    return aws_clients.client("s3").head_object(Bucket=get_settings().bucket_name, Key=key)["ContentLength"]


def get_bytes(key: str) -> bytes:
    return aws_clients.client("s3").get_object(Bucket=get_settings().bucket_name, Key=key)["Body"].read()


def put_image(key: str, data: bytes, content_type: str) -> None:
    """Writes an output the caller has already decoded back and checked."""
    aws_clients.client("s3").put_object(
        Bucket=get_settings().bucket_name, Key=key, Body=data, ContentType=content_type
    )


def delete(*keys: str) -> None:
    if keys:
        aws_clients.client("s3").delete_objects(
            Bucket=get_settings().bucket_name, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}
        )


# -- presigned URLs -----------------------------------------------------------------------
def presigned_upload(key: str, content_type: str, size_bytes: int, expires_at: datetime) -> dict:
    """A presigned POST whose policy admits only this key, an image type and no more than the
    declared `size_bytes` (S3 enforces it; the inference function checks it again), valid until
    `expires_at` (the upload's deadline)."""
    ttl = max(1, math.ceil((expires_at - datetime.now(UTC)).total_seconds()))
    post = aws_clients.client("s3").generate_presigned_post(
        Bucket=get_settings().bucket_name,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"Content-Type": content_type},
            ["starts-with", "$Content-Type", "image/"],
            ["content-length-range", 1, min(size_bytes, MAX_IMAGE_BYTES)],
        ],
        ExpiresIn=ttl,
    )
    return {"url": post["url"], "fields": post["fields"], "expiresAt": expires_at.isoformat()}


def presigned_download(key: str, filename: str | None = None) -> str:
    params = {"Bucket": get_settings().bucket_name, "Key": key}
    if filename:
        params["ResponseContentDisposition"] = f'attachment; filename="{safe_filename(filename)}"'
    return aws_clients.client("s3").generate_presigned_url(
        "get_object", Params=params, ExpiresIn=get_settings().download_url_ttl_seconds
    )
