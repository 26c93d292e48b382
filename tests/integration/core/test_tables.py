import boto3
import pytest
from pynamodb.exceptions import PynamoDBException

from bgr_core.money import credits, subscriptions
from bgr_core.platform.dynamodb import missing_tables, table_missing
from harness import TEMPLATE


def test_every_table_of_the_template_exists(aws):
    assert missing_tables() == []


def test_a_deleted_table_is_a_503_that_does_not_name_it(aws):
    boto3.client("dynamodb").delete_table(TableName=TEMPLATE.name("SubscriptionsTable"))
    with pytest.raises(PynamoDBException) as err:
        subscriptions.get("u1")
    missing = table_missing(err.value)
    assert missing.status == 503 and missing.code == "TABLE_MISSING"
    assert TEMPLATE.name("SubscriptionsTable") not in missing.message and not missing.details
    assert missing_tables() == [TEMPLATE.name("SubscriptionsTable")]  # what the log and admins see


def test_a_deleted_table_inside_a_transaction_is_a_missing_table(aws):
    boto3.client("dynamodb").delete_table(TableName=TEMPLATE.name("CreditLedgerTable"))
    with pytest.raises(PynamoDBException) as err:
        credits.grant("u1", 5, admin_id="a", reason="x")
    assert table_missing(err.value).code == "TABLE_MISSING"
    assert missing_tables() == [TEMPLATE.name("CreditLedgerTable")]


def test_any_other_error_is_not_a_missing_table(aws):
    assert table_missing(ValueError("x")) is None
