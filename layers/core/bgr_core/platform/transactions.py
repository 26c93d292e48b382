"""The optimistic transaction loop: decide from what is stored, write the decision in one
transaction whose conditions say what it was decided on, and when a condition refuses it
(another writer moved those records) decide again from what is stored now.

`decide(attempt)` returns the decision and its writes, or None when there is nothing (left) to
do, so a write already made by someone else ends the loop instead of being made twice.
"""

import random
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from pynamodb.exceptions import TransactWriteError

from bgr_core.platform.dynamodb import Write, transaction
from bgr_core.platform.errors import ServiceUnavailable

DEFAULT_ATTEMPTS = 10
T = TypeVar("T")


def apply(
    decide: Callable[[int], tuple[T, Sequence[Write]] | None],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    busy: str = "the records are too busy to change now; retry",
) -> T | None:
    """Writes what `decide` returns, atomically, deciding again whenever a condition refuses it;
    returns the decision written, or None once `decide` finds nothing to do. ServiceUnavailable
    (`busy`) after `attempts` refusals."""
    for attempt in range(attempts):
        decided = decide(attempt)
        if decided is None:
            return None
        decision, writes = decided
        try:
            with transaction() as tx:
                for write in writes:
                    write(tx)
            return decision
        except TransactWriteError as exc:
            if not contended(exc):
                raise
            time.sleep(random.uniform(0, 0.01))
    raise ServiceUnavailable(busy)


def contended(exc: TransactWriteError) -> bool:
    """Refused by a condition or a concurrent transaction (decide again), not as malformed."""
    return exc.cause_response_code == "TransactionCanceledException" and all(
        r is None or r.code in ("None", "ConditionalCheckFailed", "TransactionConflict")
        for r in exc.cancellation_reasons or ()
    )
