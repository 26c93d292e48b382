import pytest
from ledger import assert_ledgers_match_balances


@pytest.fixture(autouse=True)
def ledger_matches_balances(aws):
    """After every money test: for every user, the ledger adds up to the balance, entry by entry."""
    yield
    assert_ledgers_match_balances()
