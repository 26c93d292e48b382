"""What a client uploads: the in-request multipart image (≤ 5 MB) and declared presigned uploads."""

from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP

from bgr_core.platform.errors import BadRequest, TooLarge, UnsupportedMedia
from bgr_core.platform.lambda_payloads import MAX_INLINE_BYTES
from bgr_core.platform.storage import megabytes

INLINE_TOO_LARGE = f"in-request images are at most {megabytes(MAX_INLINE_BYTES)}; use a presigned upload"


def sniff(data: bytes) -> str | None:
    """The image type the bytes really are (magic numbers), whatever the client claimed."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class InlineImage:
    filename: str
    content_type: str  # sniffed, not claimed
    data: bytes
    fields: dict[str, str]


def _read_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """A multipart/form-data body's text fields and its files (name -> (filename, bytes)): a part
    with a filename, or the `image` part (its bytes kept even when sent without one)."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
    )
    if not message.is_multipart():
        raise BadRequest("malformed multipart body")
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None or name == "image":
            files[name] = (part.get_filename() or "image", payload)
        elif name:
            fields[name] = payload.decode("utf-8", "replace")
    return fields, files


def parse_inline(body: bytes, content_type: str) -> InlineImage:
    """The `image` file and the text fields of a multipart/form-data body."""
    if len(body) > MAX_INLINE_BYTES + 64 * 1024:
        raise TooLarge(INLINE_TOO_LARGE)
    fields, files = _read_multipart(body, content_type)
    if "image" not in files:
        raise BadRequest("the form has no `image` file")
    filename, data = files["image"]
    if len(data) > MAX_INLINE_BYTES:
        raise TooLarge(INLINE_TOO_LARGE)
    kind = sniff(data)
    if kind is None:
        raise UnsupportedMedia("the file is not a JPEG, PNG or WebP image")
    return InlineImage(filename, kind, data, fields)
