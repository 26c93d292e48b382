"""What outlives a stack change: users' data is retained (`make lint` also runs cfn-lint's I3011:
every stateful resource states its policy), and access is logged (API Gateway access logs, S3
server access logs)."""

from harness import TEMPLATE

USERS_DATA = (
    "UserPool",
    "JobsTable",
    "BatchesTable",
    "SubscriptionsTable",
    "UsageTable",
    "CreditAccountsTable",
    "CreditLedgerTable",
)


def test_the_user_pool_and_every_table_of_users_data_are_retained():
    for logical in USERS_DATA:
        resource = TEMPLATE.resources[logical]
        assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain")


def test_api_and_bucket_access_is_logged():
    api = TEMPLATE.resources["Api"]["Properties"]["AccessLogSetting"]
    assert api["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]} and api["Format"]
    assert TEMPLATE.resources["ApiAccessLogGroup"]["Type"] == "AWS::Logs::LogGroup"
    logging = TEMPLATE.resources["ImagesBucket"]["Properties"]["LoggingConfiguration"]
    assert TEMPLATE.resolve(logging["DestinationBucketName"]) == TEMPLATE.name("LogsBucket")
