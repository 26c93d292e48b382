"""The generic optimistic loop (platform.transactions), on writes that move no credit: concurrent
writers conditioned on what they read never lose an update, and a decision that finds nothing
left to do ends the loop without writing."""

import threading

import pytest

from bgr_core.platform import transactions
from bgr_core.platform.dynamodb import get_or_none, save, update
from bgr_core.platform.errors import ServiceUnavailable
from bgr_core.platform.models import UsageCounter

KEY = ("u1", "2026-12-03#all")


def increment(attempt: int, tries: list[int], limit: int | None = None, read=lambda attempt: None):
    tries.append(attempt)
    row = get_or_none(UsageCounter, *KEY)
    count = int(row.removals_count) if row else 0
    read(attempt)
    if limit is not None and count >= limit:
        return None
    if row is None:
        return count + 1, [save(UsageCounter(*KEY, removals_count=1), UsageCounter.user_id.does_not_exist())]
    changed = update(row, [UsageCounter.removals_count.set(count + 1)], UsageCounter.removals_count == count)
    return count + 1, [changed]


def test_concurrent_conditioned_writers_lose_no_update(aws):
    tries: list[int] = []
    results: list[int | None] = []
    all_read = threading.Barrier(12)  # every first decision reads the same count: 11 are refused

    def first_read_together(attempt: int) -> None:
        if attempt == 0:
            all_read.wait(timeout=30)

    def decide(attempt: int):
        return increment(attempt, tries, read=first_read_together)

    def run():
        results.append(transactions.apply(decide, attempts=40))

    threads = [threading.Thread(target=run) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(1, 13))
    assert int(UsageCounter.get(*KEY).removals_count) == 12
    assert max(tries) > 0 and tries.count(0) == 12  # refused ones were decided again


def test_a_decision_with_nothing_left_to_do_writes_nothing(aws):
    tries: list[int] = []
    results = [transactions.apply(lambda attempt: increment(attempt, tries, limit=2)) for _ in range(4)]
    assert results == [1, 2, None, None]
    assert int(UsageCounter.get(*KEY).removals_count) == 2


def test_refused_every_time_is_busy_not_a_silent_success(aws):
    UsageCounter(*KEY, removals_count=5).save()
    stale = UsageCounter(*KEY, removals_count=5)

    def never_current(attempt: int):
        return None, [update(stale, [UsageCounter.removals_count.add(1)], UsageCounter.removals_count == 4)]

    with pytest.raises(ServiceUnavailable):
        transactions.apply(never_current, attempts=3)
    assert int(UsageCounter.get(*KEY).removals_count) == 5
