"""Images an agent has as files rather than URLs: a presigned form to upload one under staged/
(which raises no event: nothing runs or is charged until a removal or a batch names its upload
id), and the staged image read back, only ever under the caller's own prefix."""

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from bgr_core.platform import aws_clients, storage
from bgr_core.platform.config import get_settings
from bgr_core.platform.errors import BadRequest, NotFound, TooLarge
from bgr_core.work import upload_deadlines

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Staged:
    upload_id: str
    key: str
    filename: str
    content_type: str  # as uploaded: the form only admits the declared image type
    size_bytes: int


def create(user_id: str, filename: str, content_type: str, size_bytes: int) -> dict:
    """{uploadId, url, fields, expiresAt}: POST the file to url with fields (S3 holds it to the
    declared type and size). Refused, before any form exists, if it could never be processed."""
    storage.check_declared(content_type, size_bytes)
    upload_id = uuid.uuid4().hex
    expires_at = upload_deadlines.clock() + timedelta(seconds=get_settings().upload_url_ttl_seconds)
    form = storage.presigned_upload(
        storage.staged_key(user_id, upload_id, filename), content_type, size_bytes, expires_at
    )
    return {"uploadId": upload_id, **form}


def find(user_id: str, upload_id: str) -> Staged:
    """The caller's staged image of `upload_id`: NotFound when it was never uploaded (or is
    another user's: the key is under the caller's prefix only), TooLarge past the image limit."""
    if not UPLOAD_ID.match(upload_id or ""):
        raise BadRequest(f"{upload_id!r} is not an upload id (create_upload gives one)")
    prefix = storage.staged_key(user_id, upload_id, "x")[: -len("x")]
    listed = aws_clients.client("s3").list_objects_v2(
        Bucket=get_settings().bucket_name, Prefix=prefix, MaxKeys=1
    )
    found = listed.get("Contents") or []
    if not found:
        raise NotFound(f"nothing was uploaded for upload id {upload_id}: POST the file to its form first")
    key = found[0]["Key"]
    head = aws_clients.client("s3").head_object(Bucket=get_settings().bucket_name, Key=key)
    size = int(head["ContentLength"])
    if size > storage.MAX_IMAGE_BYTES:
        raise TooLarge(f"images are at most {storage.MAX_IMAGE_BYTES} bytes, not {size}")
    return Staged(upload_id, key, key.rsplit("/", 1)[-1], head.get("ContentType") or "", size)


def read(staged: Staged) -> bytes:
    return storage.get_bytes(staged.key)
