"""The local stack sets what template.yaml sets on its tables and buckets after creating them."""

from bgr_core.platform.aws_clients import client
from harness import TEMPLATE


def test_every_table_and_bucket_has_the_template_s_after_creation_properties(aws):
    for logical, res in TEMPLATE.of_type("AWS::DynamoDB::Table").items():
        props, name = res["Properties"], TEMPLATE.name(logical)
        ttl = client("dynamodb").describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        wanted = props.get("TimeToLiveSpecification")
        assert ttl.get("AttributeName") == (wanted and wanted["AttributeName"]), logical
        assert (ttl["TimeToLiveStatus"] == "ENABLED") == bool(wanted), logical
        described = client("dynamodb").describe_continuous_backups(TableName=name)
        backups = described["ContinuousBackupsDescription"]
        pitr = backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
        assert (pitr == "ENABLED") == ("PointInTimeRecoverySpecification" in props), logical
    for logical, res in TEMPLATE.of_type("AWS::S3::Bucket").items():
        block = client("s3").get_public_access_block(Bucket=TEMPLATE.name(logical))
        assert block["PublicAccessBlockConfiguration"] == res["Properties"]["PublicAccessBlockConfiguration"]
