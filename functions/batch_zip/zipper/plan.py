"""Groups a batch's results into segments: each segment becomes one part of the final multipart upload."""

from math import ceil

from zipper.format import entry_size

MIN_PART_SIZE = 5 * 1024**2  # S3: every part but the last
MAX_PART_SIZE = 5 * 1024**3  # S3: UploadPartCopy copies at most this much into one part
MAX_SEGMENTS = 32  # one wave of an inline Map (at most 40 concurrent iterations)


def plan_segments(results: list[dict], max_segments: int = MAX_SEGMENTS) -> list[dict]:
    """Splits results ({"key", "size", "name"}, in ZIP order) into consecutive segments
    [{"index": n, "entries": [...]}] of at least 5 MiB each, except possibly the last, about equal
    in size so that there are at most about `max_segments` of them."""
    sizes = [entry_size(result["name"], result["size"]) for result in results]
    # A segment closes once it reaches target; target and every entry stay under half the copy limit,
    # so no segment can exceed it.
    limit = MAX_PART_SIZE // 2
    if any(size > limit for size in sizes):
        raise ValueError(f"an entry is larger than {limit} bytes")
    target = min(max(ceil(sum(sizes) / max_segments), MIN_PART_SIZE), limit)
    segments: list[dict] = []
    entries: list[dict] = []
    total = 0
    for result, size in zip(results, sizes, strict=True):
        entries.append(result)
        total += size
        if total >= target:
            segments.append({"index": len(segments), "entries": entries})
            entries, total = [], 0
    if entries:
        segments.append({"index": len(segments), "entries": entries})
    return segments
