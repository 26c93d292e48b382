"""Credits: the one atomic path through which every balance change goes (SPEC §5).

A change is one DynamoDB transaction: the account (conditioned on the version read, so
concurrent writers never lose an update nor go negative), a ledger entry keyed by the new
version, and whatever records the change pays for or settles (`actions`). A rejected
transaction is retried when the account moved underneath it; otherwise one of the actions'
own conditions refused it, which is reported as `Rejected` (e.g. a refund already made).
"""

import random
import time
from collections.abc import Callable, Iterable

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from .db import get_or_none, transaction
from .errors import Conflict, InsufficientCredits, ServiceUnavailable
from .models import CreditAccount, LedgerEntry, utcnow

Action = Callable[[TransactWrite], None]
MAX_ATTEMPTS = 100


class Rejected(Conflict):
    """A condition of the records the change settles refused it; nothing was written."""

    code = "ALREADY_APPLIED"


def _account(user_id: str) -> CreditAccount | None:
    return get_or_none(CreditAccount, user_id)


def balance(user_id: str) -> int:
    account = _account(user_id)
    return int(account.balance) if account else 0


def ledger(user_id: str, limit: int = 50) -> list[LedgerEntry]:
    return list(LedgerEntry.query(user_id, scan_index_forward=False, limit=limit))


def _conflicted(exc: TransactWriteError) -> bool:
    return any(r and r.code == "TransactionConflict" for r in exc.cancellation_reasons or ())


def apply(
    user_id: str,
    delta: int,
    *,
    reason: str,
    reference: str,
    actor: str,
    actions: Iterable[Action] = (),
) -> LedgerEntry | None:
    """Changes the balance by `delta` together with `actions`, atomically. Returns the ledger
    entry (None when delta is 0: then only the actions are written)."""
    actions = tuple(actions)
    for _ in range(MAX_ATTEMPTS):
        account = _account(user_id) if delta else None
        current = int(account.balance) if account else 0
        if current + delta < 0:
            raise InsufficientCredits(
                f"{-delta} credits needed, balance is {current}", required=-delta, balance=current
            )
        entry = None
        try:
            with transaction() as tx:
                if delta:
                    entry = _write_change(tx, user_id, account, delta, reason, reference, actor)
                for action in actions:
                    action(tx)
            return entry
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise
            moved = delta and _version(_account(user_id)) != _version(account)
            if not (moved or _conflicted(exc)):
                raise Rejected(f"{reason} {reference} was refused by its records") from exc
            time.sleep(random.uniform(0, 0.01))
    raise ServiceUnavailable(f"the balance of {user_id} is too busy to change now; retry")


def _version(account: CreditAccount | None) -> int:
    return int(account.version) if account else 0


def _write_change(tx, user_id, account, delta, reason, reference, actor) -> LedgerEntry:
    now = utcnow()
    new_balance = (int(account.balance) if account else 0) + delta
    new_version = _version(account) + 1
    if account is None:
        tx.save(
            CreditAccount(user_id, balance=new_balance, version=new_version, updated_at=now),
            condition=CreditAccount.user_id.does_not_exist(),
        )
    else:
        tx.update(
            account,
            actions=[
                CreditAccount.balance.set(new_balance),
                CreditAccount.version.set(new_version),
                CreditAccount.updated_at.set(now),
            ],
            condition=CreditAccount.version == account.version,
        )
    entry = LedgerEntry(
        user_id,
        new_version,
        delta=delta,
        reason=reason,
        reference=reference,
        balance_after=new_balance,
        actor=actor,
        created_at=now,
    )
    tx.save(entry, condition=LedgerEntry.user_id.does_not_exist())
    return entry


def grant(user_id: str, amount: int, *, admin_id: str, reason: str) -> LedgerEntry:
    """An admin adds credits (seed 004: added to the balance, never set)."""
    if amount <= 0:
        raise ValueError("a grant adds a positive amount")
    return apply(user_id, amount, reason="admin_grant", reference=reason, actor=f"admin:{admin_id}")
