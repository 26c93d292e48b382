"""The S3 side: one multipart upload per ZIP, opened with the plan; each segment uploads its own
parts of it, streaming from the results; finalize uploads the last part and completes it.

Memory stays at about one part per segment writer whatever the batch size. Until the upload is
completed no ZIP object exists; a segment or finalize that fails leaves the upload open for its
retry, and abort_zip (the workflow's failure path) removes it.
"""

import ctypes
import functools
import json
from collections.abc import Iterator
from datetime import UTC, datetime

from botocore.exceptions import ClientError

from zipper.archive import closing_bytes, write_range
from zipper.plan import plan_archive

CHUNK_SIZE = 256 * 1024
# Each part carries its CRC32, which S3 checks on arrival and combines into the object's checksum
# (as boto3's own transfer manager does). Without an algorithm S3 (and moto) compute a CRC64 of
# the whole object at completion; moto does it over one more in-memory copy of the ZIP.
CHECKSUM = "CRC32"


def start_zip(
    s3, bucket: str, key: str, results: list[dict], modified: datetime | None = None, **layout: int
) -> dict:
    """plan_archive's plan of `results` (`layout`: its sizes, if not its defaults), with the ZIP's
    "key" and its multipart upload's "uploadId"."""
    plan = plan_archive(results, modified or datetime.now(UTC), **layout)
    upload = s3.create_multipart_upload(
        Bucket=bucket, Key=key, ContentType="application/zip", ChecksumAlgorithm=CHECKSUM
    )
    return plan | {"key": key, "uploadId": upload["UploadId"]}


def _reader(s3, bucket: str):
    def read(key: str, size: int, first: int, last: int) -> Iterator[bytes]:
        whole = (first, last) == (0, size)
        ranged = {} if whole else {"Range": f"bytes={first}-{last - 1}"}
        response = s3.get_object(Bucket=bucket, Key=key, **ranged)
        actual = response["ContentLength"] if whole else int(response["ContentRange"].rsplit("/", 1)[1])
        if actual != size:
            raise ValueError(f"{key} is {actual} bytes, the plan says {size}: it changed after planning")
        read_bytes = 0
        for chunk in response["Body"].iter_chunks(CHUNK_SIZE):
            read_bytes += len(chunk)
            yield chunk
        if read_bytes != last - first:
            raise ValueError(f"{key}: read {read_bytes} bytes of {last - first}")

    return read


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 1024**2  # read chunks come from the heap and are reused, part buffers are mapped


@functools.cache
def _fix_mmap_threshold() -> None:
    """Keeps part buffers out of the heap. glibc raises its mmap threshold to the size of each
    mmapped block it frees, so after the first part every part buffer would come from heaps that
    do not shrink back, and the peak memory would creep up segment after segment; a fixed
    threshold maps and unmaps every buffer. Without glibc's mallopt, nothing to do."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # the process's own symbols: libc's
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


class _PartWriter:
    """Fills one part buffer and uploads it as part `number` each time it is full."""

    def __init__(self, s3, bucket: str, plan: dict, first_part: int):
        self.s3, self.bucket, self.plan = s3, bucket, plan
        self.number = first_part
        self.parts: dict[int, dict[str, str]] = {}  # part number -> its ETag and CRC32
        _fix_mmap_threshold()
        self.buffer = bytearray(plan["partSize"])
        self.filled = 0

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            taken = view[: len(self.buffer) - self.filled]
            self.buffer[self.filled : self.filled + len(taken)] = taken
            self.filled += len(taken)
            view = view[len(taken) :]
            if self.filled == len(self.buffer):
                self.parts[self.number] = _upload_part(
                    self.s3, self.bucket, self.plan, self.number, self.buffer
                )
                self.number += 1
                self.filled = 0

    def rest(self) -> bytearray:
        """What did not fill a whole part (only the last segment has any)."""
        del self.buffer[self.filled :]  # in place: no copy of the part
        return self.buffer


def write_segment(s3, bucket: str, plan: dict, index: int, key: str) -> dict[str, str | int]:
    """Uploads segment `index` of `plan` (start_zip's) as parts of the ZIP's upload, and writes
    what finalize needs to `key`: the parts' ETags and CRC32s, the CRCs of the entries that end in the
    segment, and, for the last segment, the bytes after the last whole part (at `key`.rest).
    Writing a segment again replaces its parts. Returns {"metadataKey", "size"}: small whatever
    the number of entries, so that a Map's result array stays small."""
    segment = plan["segments"][index]
    if segment["start"] % plan["partSize"]:
        raise ValueError("a segment starts on a part boundary")
    writer = _PartWriter(s3, bucket, plan, segment["start"] // plan["partSize"] + 1)
    crcs = write_range(plan, segment["start"], segment["end"], _reader(s3, bucket), writer.write)
    rest_key = None
    if rest := writer.rest():
        rest_key = f"{key}.rest"
        s3.put_object(Bucket=bucket, Key=rest_key, Body=rest, ContentType="application/octet-stream")
    metadata = {"parts": writer.parts, "crcs": crcs, "restKey": rest_key}
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(metadata).encode(), ContentType="application/json")
    return {"metadataKey": key, "size": segment["end"] - segment["start"]}


def finalize_zip(s3, bucket: str, plan: dict, segments: list[dict], manifest: bytes) -> dict[str, str | int]:
    """Completes the ZIP of `plan` from its segments (write_segment's results, in order): one last
    part with the bytes after the last whole part, manifest.json (the `manifest` bytes) and the
    central directory. After success the segments' objects are deleted. Returns {"key", "size"}."""
    if len(segments) != len(plan["segments"]):
        raise ValueError(f"{len(segments)} segments written, {len(plan['segments'])} planned")
    parts: dict[int, dict[str, str]] = {}
    crcs: dict[int, int] = {}
    rest_key = None
    cleanup = []
    for segment in segments:
        metadata = json.loads(s3.get_object(Bucket=bucket, Key=segment["metadataKey"])["Body"].read())
        parts |= {int(number): part for number, part in metadata["parts"].items()}
        crcs |= {int(index): crc for index, crc in metadata["crcs"].items()}
        cleanup.append(segment["metadataKey"])
        rest_key = metadata["restKey"] or rest_key
    whole, rest_size = divmod(plan["size"], plan["partSize"])
    if (
        sorted(parts) != list(range(1, whole + 1))
        or len(crcs) != len(plan["entries"])
        or bool(rest_key) != bool(rest_size)
    ):
        raise ValueError("the segments do not cover the planned archive")
    closing = closing_bytes(plan, crcs, manifest)
    # the last part, filled in place: one copy of the rest in memory, not three
    last = bytearray(rest_size + len(closing))
    if rest_size:
        cleanup.append(rest_key)
        _fill(last, _reader(s3, bucket)(rest_key, rest_size, 0, rest_size))
    last[rest_size:] = closing
    parts[whole + 1] = _upload_part(s3, bucket, plan, whole + 1, last)
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key=plan["key"],
        UploadId=plan["uploadId"],
        MultipartUpload={"Parts": [{"PartNumber": number, **parts[number]} for number in sorted(parts)]},
    )
    for start in range(0, len(cleanup), 1000):
        batch = [{"Key": name} for name in cleanup[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    return {"key": plan["key"], "size": plan["size"] + len(closing)}


def _upload_part(s3, bucket: str, plan: dict, number: int, body: bytearray) -> dict[str, str]:
    """Uploads part `number` of the plan's upload: what completing it needs of the part."""
    response = s3.upload_part(
        Bucket=bucket,
        Key=plan["key"],
        UploadId=plan["uploadId"],
        PartNumber=number,
        Body=body,
        ChecksumAlgorithm=CHECKSUM,
    )
    return {"ETag": response["ETag"], "ChecksumCRC32": response["ChecksumCRC32"]}


def _fill(buffer: bytearray, chunks: Iterator[bytes]) -> None:
    position = 0
    for chunk in chunks:
        buffer[position : position + len(chunk)] = chunk
        position += len(chunk)


def abort_zip(s3, bucket: str, plan: dict) -> None:
    """Aborts the multipart upload of `plan` (start_zip's): its parts go, no object is left. An
    upload already completed or aborted is left as it is."""
    try:
        s3.abort_multipart_upload(Bucket=bucket, Key=plan["key"], UploadId=plan["uploadId"])
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchUpload":
            raise
