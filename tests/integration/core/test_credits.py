import pytest

from bgr_core.money import credits
from bgr_core.platform.errors import InsufficientCredits
from bgr_core.platform.models import CreditAccount, LedgerEntry
from concurrency import on_threads


def test_new_user_has_balance_zero_and_cannot_be_charged(aws):
    assert credits.balance("nobody") == 0
    with pytest.raises(InsufficientCredits) as err:
        credits.apply(lambda attempt: credits.Change("nobody", -3, "charge", "job:x", "user:nobody"))
    assert err.value.status == 402 and err.value.code == "INSUFFICIENT_CREDITS"
    assert list(CreditAccount.scan()) == [] and list(LedgerEntry.scan()) == []


def test_admin_grant_adds_and_records_the_admin(aws):
    credits.grant("u1", 100, admin_id="boss", reason="welcome")
    entry = credits.grant("u1", 50, admin_id="boss", reason="top-up")
    assert credits.balance("u1") == 150
    assert (entry.delta, entry.balance_after, entry.actor, entry.reason) == (
        50,
        150,
        "admin:boss",
        "admin_grant",
    )
    assert entry.reference == "top-up" and entry.created_at is not None


def test_100_threads_charging_3_against_150(aws):
    credits.grant("u1", 150, admin_id="boss", reason="seed")
    results, lows = [], []

    def charge(i):
        try:
            entry = credits.apply(
                lambda attempt: credits.Change("u1", -3, "charge", f"job:{i}", "user:u1")
            ).entry
            results.append(entry)
            lows.append(entry.balance_after)
        except InsufficientCredits:
            results.append(None)

    on_threads(100, charge)
    assert len(results) == 100
    assert sum(r is not None for r in results) == 50
    assert credits.balance("u1") == 0 and min(lows) == 0
    charges = [e for e in LedgerEntry.query("u1") if e.reason == "charge"]
    assert len(charges) == 50
    assert sorted(e.balance_after for e in charges) == list(range(0, 150, 3))


def test_writes_refusing_leave_nothing_behind(aws):
    credits.grant("u1", 10, admin_id="boss", reason="seed")

    def refuse(tx):  # a record that already exists refuses to be created again
        tx.save(
            LedgerEntry("u1", 1, delta=0, reason="x", reference="x", balance_after=0, actor="x"),
            condition=LedgerEntry.user_id.does_not_exist(),
        )

    decisions = []

    def decide(attempt):  # refused once: the record it would create exists, nothing left to do
        decisions.append(attempt)
        return None if attempt else credits.Change("u1", -3, "charge", "job:y", "user:u1", [refuse])

    assert credits.apply(decide) is None and decisions == [0, 1]
    assert credits.balance("u1") == 10
    assert len(list(LedgerEntry.query("u1"))) == 1
