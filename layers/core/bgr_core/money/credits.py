"""Credits: the one atomic path through which every balance change goes, and the one place a
write that depends on what it read is retried.

A change is one DynamoDB transaction: the account (conditioned on the version read, so
concurrent writers never lose an update nor go negative), a ledger entry keyed by the new
version, and the records the change pays for or settles (`writes`, each conditioned on what was
read). `decide(attempt)` reads what the change depends on and returns it, or None when there is
nothing (left) to do. When any condition refuses the transaction, another writer moved what was
read: the change is decided again from what is stored now, so a refund already made, an item
already settled or a quota already used up ends the loop with None, never a second write.

The account also counts the user's images in flight (charged, not yet ended): a charge adds its
images under a condition that keeps the count within the configured cap, whatever runs
concurrently (TooManyInFlight, nothing written, beyond it), and the change that ends an image
(completed, or failed and refunded) takes it off in the same transaction, so it happens once.
"""

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from bgr_core.money.pricing import MAX_BATCH_IMAGES
from bgr_core.platform import observability
from bgr_core.platform.config import get_settings
from bgr_core.platform.dynamodb import Write, get_or_none, transaction
from bgr_core.platform.errors import (
    BadRequest,
    Conflict,
    InsufficientCredits,
    RateLimited,
    ServiceUnavailable,
)
from bgr_core.platform.models import CreditAccount, LedgerEntry, utcnow

# Each refusal means another writer of the same records succeeded: at most every other item of
# a batch settling at once, or the account's other changes.
MAX_ATTEMPTS = MAX_BATCH_IMAGES + 1
IN_FLIGHT_RETRY_AFTER_S = 10  # images take seconds each: a few of the user's will have ended by then


class TooManyInFlight(RateLimited):
    """The user's images in flight would pass the cap: nothing is charged or written."""

    code = "TOO_MANY_IN_FLIGHT"


class Rejected(Conflict):
    """The change no longer applies to the records it was decided on; nothing was written."""

    code = "ALREADY_APPLIED"


@dataclass
class Change:
    user_id: str  # whose balance
    delta: int  # credits added to it (negative: a charge)
    reason: str = ""
    reference: str = ""
    actor: str = "system"
    writes: Sequence[Write] = ()
    in_flight: int = 0  # images the change starts (a charge: +n) or ends (-1) in flight
    decided: Any = None  # what the caller decided (a charge's plan, a batch's new status)
    shortfall: int = 0  # credits owed back that the balance did not hold (recorded on the entry)
    entry: LedgerEntry | None = None  # the ledger entry written (None when delta and shortfall are 0)


def balance(user_id: str) -> int:
    account = get_or_none(CreditAccount, user_id)
    return int(account.balance) if account else 0


def ledger(user_id: str, limit: int = 50) -> list[LedgerEntry]:
    return list(LedgerEntry.query(user_id, scan_index_forward=False, limit=limit))


def apply(decide: Callable[[int], Change | None]) -> Change | None:
    """Writes the change `decide` returns, atomically, deciding again whenever a condition refuses
    it; returns the change written, or None once `decide` finds nothing to do."""
    for attempt in range(MAX_ATTEMPTS):
        change = decide(attempt)
        if change is None:
            return None
        recorded = bool(change.delta or change.shortfall)
        read = recorded or change.in_flight > 0
        account = get_or_none(CreditAccount, change.user_id) if read else None
        current = int(account.balance) if account else 0
        if current + change.delta < 0:
            raise InsufficientCredits(
                f"{-change.delta} credits needed, balance is {current}",
                required=-change.delta,
                balance=current,
            )
        _check_in_flight(account, change.in_flight)
        try:
            with transaction() as tx:
                if recorded:
                    change.entry = _write_change(tx, account, change)
                elif change.in_flight:
                    _write_in_flight(tx, change.user_id, change.in_flight)
                for write in change.writes:
                    write(tx)
            observability.credits_moved(change.reason, change.delta)
            return change
        except TransactWriteError as exc:
            if not _contended(exc):
                raise
            time.sleep(random.uniform(0, 0.01))
    raise ServiceUnavailable(f"the records of {change.user_id} are too busy to change now; retry")


def _contended(exc: TransactWriteError) -> bool:
    """Refused by a condition or a concurrent transaction (decide again), not as malformed."""
    return exc.cause_response_code == "TransactionCanceledException" and all(
        r is None or r.code in ("None", "ConditionalCheckFailed", "TransactionConflict")
        for r in exc.cancellation_reasons or ()
    )


def _in_flight_cap() -> int:
    return get_settings().max_images_in_flight


def _check_in_flight(account: CreditAccount | None, starting: int) -> None:
    if starting <= 0:
        return
    now, cap = (int(account.in_flight) if account else 0), _in_flight_cap()
    if starting > cap:  # it can never fit: no retry would help
        raise BadRequest(f"at most {cap} images may be in flight at once; this request has {starting}")
    if now + starting > cap:
        raise TooManyInFlight(
            f"{now} of your images are in flight and at most {cap} may be; retry once some have finished",
            headers={"Retry-After": str(IN_FLIGHT_RETRY_AFTER_S)},
        )


def _in_flight_actions(count: int) -> tuple[list, Any]:
    """The update adding `count` to the images in flight, and the condition keeping a charge's
    count (positive) within the cap; an ending (negative) always applies."""
    actions = [CreditAccount.in_flight.add(count)]
    if count <= 0:
        return actions, None
    room = CreditAccount.in_flight.does_not_exist() | (CreditAccount.in_flight <= _in_flight_cap() - count)
    return actions, room


def _write_in_flight(tx: TransactWrite, user_id: str, count: int) -> None:
    """The count alone (a change of no credits: an image the quota paid for, or a completion),
    creating the account as one with no balance yet where there is none."""
    actions, condition = _in_flight_actions(count)
    actions += [
        CreditAccount.balance.set(CreditAccount.balance | 0),
        CreditAccount.version.set(CreditAccount.version | 0),
    ]
    tx.update(CreditAccount(user_id), actions=actions, condition=condition)


def _version(account: CreditAccount | None) -> int:
    return int(account.version) if account else 0


def _write_change(tx: TransactWrite, account: CreditAccount | None, change: Change) -> LedgerEntry:
    user_id = change.user_id
    now = utcnow()
    new_balance = (int(account.balance) if account else 0) + change.delta
    new_version = _version(account) + 1
    if account is None:
        tx.save(
            CreditAccount(
                user_id, balance=new_balance, version=new_version, updated_at=now, in_flight=change.in_flight
            ),
            condition=CreditAccount.user_id.does_not_exist(),
        )
    else:
        in_flight, room = _in_flight_actions(change.in_flight) if change.in_flight else ([], None)
        same_version = CreditAccount.version == account.version
        tx.update(
            account,
            actions=[
                CreditAccount.balance.set(new_balance),
                CreditAccount.version.set(new_version),
                CreditAccount.updated_at.set(now),
                *in_flight,
            ],
            condition=same_version if room is None else same_version & room,
        )
    entry = LedgerEntry(
        user_id,
        new_version,
        delta=change.delta,
        reason=change.reason,
        reference=change.reference,
        balance_after=new_balance,
        actor=change.actor,
        created_at=now,
        shortfall=change.shortfall or None,
    )
    tx.save(entry, condition=LedgerEntry.user_id.does_not_exist())
    return entry


def grant(user_id: str, amount: int, *, admin_id: str, reason: str) -> LedgerEntry:
    """An admin adds credits (added to the balance, never set)."""
    if amount <= 0:
        raise ValueError("a grant adds a positive amount")
    change = Change(user_id, amount, reason="admin_grant", reference=reason, actor=f"admin:{admin_id}")
    return apply(lambda attempt: change).entry
