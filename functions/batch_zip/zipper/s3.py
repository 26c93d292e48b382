"""The S3 side: stream results into segment objects, then join segments into the final ZIP.

Both steps write through S3 multipart uploads, so memory stays at about one part whatever the batch
size, and an upload that fails is aborted: no half-written object is ever visible.
"""

import io
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime

from botocore.exceptions import ClientError

from zipper.archive import SegmentBuilder, closing_bytes
from zipper.format import dos_time
from zipper.plan import MIN_PART_SIZE

CHUNK_SIZE = 256 * 1024
COPY_WORKERS = 8


@contextmanager
def _multipart(s3, bucket: str, key: str, content_type: str) -> Iterator[tuple[str, dict[int, str]]]:
    """Yields (upload id, {part number: ETag}) to fill; completes the upload, or aborts it on error."""
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type)["UploadId"]
    etags: dict[int, str] = {}
    try:
        yield upload_id, etags
        parts = [{"PartNumber": number, "ETag": etags[number]} for number in sorted(etags)]
        s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except BaseException as error:
        try:
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except ClientError as abort_error:
            error.add_note(f"aborting multipart upload {upload_id} of {key} failed too: {abort_error}")
        raise


class _PartWriter:
    """Fills one preallocated part buffer and uploads it each time it is full: memory stays at one part."""

    def __init__(self, s3, bucket: str, key: str, upload_id: str, etags: dict[int, str], part_size: int):
        self.s3, self.bucket, self.key, self.upload_id, self.etags = s3, bucket, key, upload_id, etags
        self.buffer = bytearray(part_size)
        self.filled = 0

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            taken = view[: len(self.buffer) - self.filled]
            self.buffer[self.filled : self.filled + len(taken)] = taken
            self.filled += len(taken)
            view = view[len(taken) :]
            if self.filled == len(self.buffer):
                self._upload(self.buffer)
                self.filled = 0

    def close(self) -> None:
        """Uploads what is left as the last part (the only part when there was less than one part)."""
        if self.filled or not self.etags:
            del self.buffer[self.filled :]  # in place: no copy of the part
            self._upload(self.buffer)

    def _upload(self, body: bytearray) -> None:
        number = len(self.etags) + 1
        self.etags[number] = self.s3.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=body
        )["ETag"]


def write_segment(
    s3, bucket: str, key: str, entries: list[dict], part_size: int = MIN_PART_SIZE
) -> dict[str, str | int]:
    """Streams the source objects of `entries` ({"key", "name"}: one segment of plan_segments) into
    the segment object `key`, and writes the segment's metadata next to it, at `key`.json.

    Returns {"key", "metadataKey", "size"}: under 200 bytes whatever the number of entries, so that
    a Map's result array stays small; finalize_zip takes the list of them, in order."""
    if part_size < MIN_PART_SIZE:
        raise ValueError(f"part_size must be at least {MIN_PART_SIZE}")
    with _multipart(s3, bucket, key, "application/octet-stream") as (upload_id, etags):
        writer = _PartWriter(s3, bucket, key, upload_id, etags, part_size)
        builder = SegmentBuilder(writer.write)
        for entry in entries:
            source = s3.get_object(Bucket=bucket, Key=entry["key"])
            builder.add(
                entry["name"], dos_time(source["LastModified"]), source["Body"].iter_chunks(CHUNK_SIZE)
            )
        writer.close()
    metadata_key = f"{key}.json"
    s3.put_object(
        Bucket=bucket,
        Key=metadata_key,
        Body=json.dumps(builder.metadata()).encode(),
        ContentType="application/json",
    )
    return {"key": key, "metadataKey": metadata_key, "size": builder.size}


def finalize_zip(
    s3, bucket: str, key: str, segments: list[dict], manifest: bytes, modified: datetime | None = None
) -> dict[str, str | int]:
    """Joins the segments (write_segment's results, in ZIP order) into the ZIP object `key`: one
    server-side copied part per segment, then a last part with manifest.json (the `manifest` bytes)
    and the central directory. On any failure the upload is aborted and the error re-raised; after
    success the segment objects are deleted. Returns {"key", "size"}."""
    metadata = [
        json.loads(s3.get_object(Bucket=bucket, Key=segment["metadataKey"])["Body"].read())
        for segment in segments
    ]
    closing = closing_bytes(metadata, manifest, dos_time(modified or datetime.now(UTC)))
    # A last segment under the minimum part size cannot be a part of its own (the closing part
    # follows it), so it goes into the closing part; it is smaller than one part.
    inline_last = bool(metadata) and metadata[-1]["size"] < MIN_PART_SIZE
    copied = segments[:-1] if inline_last else segments

    with _multipart(s3, bucket, key, "application/zip") as (upload_id, etags):

        def copy(number: int, segment: dict) -> None:
            etags[number] = s3.upload_part_copy(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                CopySource={"Bucket": bucket, "Key": segment["key"]},
            )["CopyPartResult"]["ETag"]

        with ThreadPoolExecutor(COPY_WORKERS) as pool:
            list(pool.map(copy, range(1, len(copied) + 1), copied))
        last = io.BytesIO()
        if inline_last:
            body = s3.get_object(Bucket=bucket, Key=segments[-1]["key"])["Body"]
            for chunk in body.iter_chunks(CHUNK_SIZE):
                last.write(chunk)
        last.write(closing)
        last.seek(0)
        number = len(copied) + 1
        etags[number] = s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=last
        )["ETag"]

    keys = [segment[name] for segment in segments for name in ("key", "metadataKey")]
    for start in range(0, len(keys), 1000):
        batch = [{"Key": name} for name in keys[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    return {"key": key, "size": sum(meta["size"] for meta in metadata) + len(closing)}
