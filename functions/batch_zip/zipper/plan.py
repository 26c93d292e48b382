"""Lays a batch's results out as the bytes of one ZIP and splits them into segments of whole
parts: each segment uploads its own parts of the ZIP's multipart upload, so that nothing is
copied afterwards; the part after the last whole one (the rest of the entries, manifest.json and
the central directory) comes last, from finalize."""

from datetime import datetime
from math import ceil

from zipper.archive import MANIFEST_NAME
from zipper.format import dos_time, entry_size

MIB = 1024**2
MIN_PART_SIZE = 5 * MIB  # S3: every part but the last
MAX_PART_SIZE = 5 * 1024**3
MAX_PARTS = 10_000
MAX_SEGMENTS = 32  # one wave of an inline Map (at most 40 concurrent iterations)
# Each segment is a Lambda invocation (an Init, when cold, of about a second): one that streams
# less than this would spend more time starting than streaming.
MIN_SEGMENT_SIZE = 32 * MIB


def plan_archive(
    results: list[dict],
    modified: datetime,
    max_segments: int = MAX_SEGMENTS,
    part_size: int = MIN_PART_SIZE,
    min_segment_size: int = MIN_SEGMENT_SIZE,
) -> dict:
    """Lays out results ({"key", "size", "name"}, in ZIP order): {"dosTime", "partSize", "size" (of
    the entries), "entries": [{"key", "name", "size", "offset"}], "segments": [{"index", "start",
    "end"}]}. Segments cover [0, size) in order, about equal, at most `max_segments`, each starting
    on a part boundary and, but for the last, of `min_segment_size` at least; only the last one
    holds the bytes after the last whole part."""
    if any(result["name"] == MANIFEST_NAME for result in results):
        raise ValueError(f"{MANIFEST_NAME} is reserved for the manifest")
    entries, size = [], 0
    for result in results:
        entries.append({"key": result["key"], "name": result["name"], "size": result["size"], "offset": size})
        size += entry_size(result["name"], result["size"])
    if size > part_size * (MAX_PARTS - 1):  # whole parts, then the closing part: MAX_PARTS at most
        part_size = ceil(size / (MAX_PARTS - 1) / MIB) * MIB
    if part_size > MAX_PART_SIZE:
        raise ValueError(f"the results are larger than {MAX_PARTS - 1} parts of {MAX_PART_SIZE} bytes")
    whole = size // part_size * part_size
    step = max(1, ceil(whole / part_size / max_segments), ceil(min_segment_size / part_size)) * part_size
    starts = list(range(0, whole, step)) or ([0] if size else [])
    return {
        "dosTime": dos_time(modified),
        "partSize": part_size,
        "size": size,
        "entries": entries,
        "segments": [
            {"index": index, "start": start, "end": start + step if start + step < whole else size}
            for index, start in enumerate(starts)
        ],
    }
