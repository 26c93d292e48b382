import pytest

from bgr_core.models import CreditAccount, LedgerEntry


@pytest.fixture(autouse=True)
def ledger_matches_balances(aws):
    """After every money test: for every user, the ledger adds up to the balance, entry by entry."""
    yield
    for account in CreditAccount.scan():
        entries = sorted(LedgerEntry.query(account.user_id), key=lambda e: e.seq)
        assert sum(int(e.delta) for e in entries) == account.balance
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        assert all(e.balance_after >= 0 for e in entries)
        assert entries[-1].balance_after == account.balance
