import boto3
import pytest

from bgr_core import credits, subscriptions
from bgr_core.db import missing_tables
from bgr_core.errors import TableMissing
from harness import TEMPLATE


def test_every_table_of_the_template_exists(aws):
    assert missing_tables() == []


def test_a_deleted_table_is_named_in_a_503(aws):
    boto3.client("dynamodb").delete_table(TableName=TEMPLATE.name("SubscriptionsTable"))
    with pytest.raises(TableMissing) as err:
        subscriptions.get("u1")
    assert err.value.status == 503 and err.value.code == "TABLE_MISSING"
    assert TEMPLATE.name("SubscriptionsTable") in err.value.message


def test_a_deleted_table_inside_a_transaction_is_named(aws):
    boto3.client("dynamodb").delete_table(TableName=TEMPLATE.name("CreditLedgerTable"))
    with pytest.raises(TableMissing) as err:
        credits.grant("u1", 5, admin_id="a", reason="x")
    assert err.value.details["tables"] == [TEMPLATE.name("CreditLedgerTable")]
