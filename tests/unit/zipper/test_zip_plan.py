import pytest

from zipper.format import entry_size
from zipper.plan import MIN_PART_SIZE, plan_segments

MB = 1024**2


def results(sizes: list[int]) -> list[dict]:
    return [{"key": f"results/b/{i}.png", "size": size, "name": f"{i}.png"} for i, size in enumerate(sizes)]


def segment_size(segment: dict) -> int:
    return sum(entry_size(e["name"], e["size"]) for e in segment["entries"])


def test_segments_reach_the_minimum_part_size_except_the_last():
    items = results([2 * MB] * 500)
    segments = plan_segments(items)
    assert [e for s in segments for e in s["entries"]] == items
    assert [s["index"] for s in segments] == list(range(len(segments)))
    assert all(segment_size(s) >= MIN_PART_SIZE for s in segments[:-1])
    assert len(segments) <= 33


def test_small_batches_use_minimum_size_segments():
    segments = plan_segments(results([300 * 1024] * 25))
    assert [len(s["entries"]) for s in segments] == [18, 7]
    assert segment_size(segments[0]) >= MIN_PART_SIZE > segment_size(segments[1])


def test_a_single_small_result_is_one_segment():
    assert plan_segments(results([1000])) == [{"index": 0, "entries": results([1000])}]


def test_no_results_no_segments():
    assert plan_segments([]) == []


def test_entries_beyond_the_copy_limit_are_refused():
    with pytest.raises(ValueError):
        plan_segments(results([3 * 1024**3]))
