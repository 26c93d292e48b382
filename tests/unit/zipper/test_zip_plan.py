from datetime import datetime

import pytest

from zipper.archive import MANIFEST_NAME
from zipper.format import entry_size
from zipper.plan import MAX_PARTS, MIN_PART_SIZE, MIN_SEGMENT_SIZE, plan_archive

MB = 1024**2
MODIFIED = datetime(2025, 3, 14, 15, 9, 26)


def results(sizes: list[int]) -> list[dict]:
    return [{"key": f"results/b/{i}.png", "size": size, "name": f"{i}.png"} for i, size in enumerate(sizes)]


def test_segments_cover_the_entries_on_part_boundaries():
    plan = plan_archive(results([2 * MB] * 500), MODIFIED)
    segments = plan["segments"]
    assert plan["size"] == sum(entry_size(f"{i}.png", 2 * MB) for i in range(500))
    assert [s["index"] for s in segments] == list(range(len(segments))) and len(segments) <= 32
    assert [s["start"] for s in segments[1:]] == [s["end"] for s in segments[:-1]]
    assert segments[0]["start"] == 0 and segments[-1]["end"] == plan["size"]
    assert all(s["start"] % MIN_PART_SIZE == 0 for s in segments)
    assert all(s["end"] % MIN_PART_SIZE == 0 for s in segments[:-1])  # only the last has a rest
    assert plan["size"] % MIN_PART_SIZE and plan["partSize"] == MIN_PART_SIZE


def test_entries_are_laid_out_one_after_another():
    plan = plan_archive(results([10, 0, 7]), MODIFIED)
    offsets = [e["offset"] for e in plan["entries"]]
    assert offsets == [0, entry_size("0.png", 10), entry_size("0.png", 10) + entry_size("1.png", 0)]
    assert plan["segments"] == [{"index": 0, "start": 0, "end": plan["size"]}]  # no whole part


def test_an_archive_of_whole_parts_has_no_rest():
    whole_parts = results([1000 - entry_size("0.png", 0)])
    plan = plan_archive(whole_parts, MODIFIED, max_segments=3, part_size=100, min_segment_size=100)
    assert plan["size"] == 1000
    assert [(s["start"], s["end"]) for s in plan["segments"]] == [(0, 400), (400, 800), (800, 1000)]


def test_a_segment_streams_enough_to_be_worth_its_start():
    small = plan_archive(results([600_000] * 100), MODIFIED)  # 60 MB: two segments, not twelve
    assert len(small["segments"]) == 2
    assert small["segments"][0]["end"] - small["segments"][0]["start"] >= MIN_SEGMENT_SIZE
    assert len(plan_archive(results([200_000] * 100), MODIFIED)["segments"]) == 1
    large = results([2 * MB] * 500)  # 1 GB: its segments are large enough already
    assert plan_archive(large, MODIFIED) == plan_archive(large, MODIFIED, min_segment_size=0)


def test_no_results_no_segments():
    assert plan_archive([], MODIFIED)["segments"] == []


def test_the_part_size_grows_to_stay_within_the_part_limit():
    plan = plan_archive(results([60 * 1024 * MB]), MODIFIED)  # 60 GiB: 12,288 parts of 5 MiB
    assert plan["partSize"] > MIN_PART_SIZE and plan["partSize"] % MB == 0
    assert plan["size"] // plan["partSize"] + 1 <= MAX_PARTS


def test_archives_beyond_the_part_limit_are_refused():
    with pytest.raises(ValueError, match="parts"):
        plan_archive(results([5 * 1024**3] * 10_000), MODIFIED)


def test_a_result_named_like_the_manifest_is_refused():
    with pytest.raises(ValueError, match=MANIFEST_NAME):
        plan_archive([{"key": "k", "size": 2, "name": MANIFEST_NAME}], MODIFIED)
