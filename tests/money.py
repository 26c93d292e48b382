"""Money in tests: credits given the way an admin gives them, and the invariant every test on
moto ends with (the `aws` fixture checks it after the test)."""

from bgr_core.money import credits
from bgr_core.platform.models import CreditAccount, LedgerEntry


def fund(user: str, amount: int = 100) -> None:
    """Gives `user` credits through the one money path (an admin grant, with its ledger entry)."""
    credits.grant(user, amount, admin_id="test", reason="seed")


def assert_ledgers_match_balances() -> None:
    """For every user, the ledger adds up to the balance, entry by entry, and the images in flight
    are never fewer than none (an account made by an image the quota paid for has no entries)."""
    for account in CreditAccount.scan():
        entries = sorted(LedgerEntry.query(account.user_id), key=lambda e: e.seq)
        assert sum(int(e.delta) for e in entries) == account.balance
        assert [e.seq for e in entries] == list(range(1, int(account.version) + 1))
        assert all(e.balance_after >= 0 for e in entries)
        assert not entries or entries[-1].balance_after == account.balance
        assert account.in_flight >= 0, account.user_id


def subscribe(user: str, plan: str, days: int = 30):
    """Gives `user` a plan the one way besides a verified payment: an admin's comp."""
    from bgr_core.money import subscriptions

    return subscriptions.comp(user, plan, days, admin_id="test", reason="seed")
