"""Creates template.yaml's stateful resources (tables, queues, bucket and its notifications,
state machines) on whatever AWS endpoint boto3 talks to: moto in the tests and the local runtime.

A resource type the template gains but this builder does not know fails loudly (see
`SUPPORTED`), so the template and the local stack cannot silently drift apart.
"""

import json
from dataclasses import dataclass

import boto3

from .state_dir import StateDir
from .template import ACCOUNT, Template

# Resources that exist only in a real deployment (no state the handlers touch locally):
# functions run in-process, the API is served by the local runtime, identity is a local token.
DEPLOYMENT_ONLY = {
    "AWS::Serverless::Function",
    "AWS::Serverless::Api",
    "AWS::Serverless::LayerVersion",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolGroup",
    "AWS::Cognito::UserPoolDomain",
    "AWS::CloudFront::Distribution",  # the web app is served by the local API instead
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::ResponseHeadersPolicy",  # bgr_local.webapp sends its headers itself
    "AWS::WAFv2::WebACLAssociation",
    "AWS::S3::BucketPolicy",
    "AWS::Logs::LogGroup",  # access logs: API Gateway's, which the local API server does not write
    "AWS::IAM::Role",
    "AWS::ApiGateway::Account",
    # CloudWatch watches what Lambda, SQS, Step Functions and API Gateway publish in AWS; locally
    # the functions' metrics are switched off (POWERTOOLS_METRICS_DISABLED)
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",
}


@dataclass
class Stack:
    template: Template
    state: StateDir | None = None  # what a previous `serve --state-dir` saved, put back

    def client(self, service: str):
        return boto3.client(service, region_name=self.template.region)

    def create(self) -> "Stack":
        unknown = {r["Type"] for r in self.template.resources.values()} - DEPLOYMENT_ONLY - SUPPORTED
        if unknown:
            raise NotImplementedError(f"the local stack cannot create {sorted(unknown)}")
        self._tables()
        self._queues()
        self._buckets()
        self._state_machines()
        return self

    def _tables(self) -> None:
        ddb = self.client("dynamodb")
        for logical, res in self.template.of_type("AWS::DynamoDB::Table").items():
            props = self.template.resolve(res["Properties"])
            name = self.template.name(logical)
            kwargs = {
                "TableName": name,
                "AttributeDefinitions": props["AttributeDefinitions"],
                "KeySchema": props["KeySchema"],
                "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
            }
            if "GlobalSecondaryIndexes" in props:
                kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
            ddb.create_table(**kwargs)
            if self.state is not None:
                self.state.restore_items(ddb, name)
            _set(ddb.update_time_to_live, props, "TimeToLiveSpecification", TableName=name)
            _set(ddb.update_continuous_backups, props, "PointInTimeRecoverySpecification", TableName=name)

    def _queues(self) -> None:
        sqs = self.client("sqs")
        queues = self.template.of_type("AWS::SQS::Queue")
        for logical in queues:  # dead-letter targets must exist before a redrive names them
            sqs.create_queue(QueueName=self.template.name(logical))
        for logical, res in queues.items():
            props = self.template.resolve(res.get("Properties", {}))
            attributes = {
                k: json.dumps(v) if isinstance(v, dict) else str(v)
                for k, v in props.items()
                if k in ("VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy", "DelaySeconds")
            }
            if attributes:
                sqs.set_queue_attributes(QueueUrl=self.template.ref(logical), Attributes=attributes)
        for res in self.template.of_type("AWS::SQS::QueuePolicy").values():
            props = self.template.resolve(res["Properties"])
            for url in props["Queues"]:
                sqs.set_queue_attributes(
                    QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
                )

    def _buckets(self) -> None:
        s3 = self.client("s3")
        for logical, res in self.template.of_type("AWS::S3::Bucket").items():
            props = self.template.resolve(res["Properties"])
            name = self.template.name(logical)
            s3.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.template.region}
            )
            _set(s3.put_public_access_block, props, "PublicAccessBlockConfiguration", Bucket=name)
            if "BucketEncryption" in props:
                s3.put_bucket_encryption(
                    Bucket=name,
                    ServerSideEncryptionConfiguration={
                        "Rules": [
                            {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
                            for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                        ]
                    },
                )
            if "CorsConfiguration" in props:
                s3.put_bucket_cors(
                    Bucket=name,
                    CORSConfiguration={
                        "CORSRules": [_cors_rule(r) for r in props["CorsConfiguration"]["CorsRules"]]
                    },
                )
            if "LifecycleConfiguration" in props:
                rules = [_lifecycle_rule(rule) for rule in props["LifecycleConfiguration"]["Rules"]]
                s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
            if self.state is not None:  # before the notifications: a restored object is not new
                self.state.restore_objects(s3, name)
            notifications = props.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
            if notifications:
                s3.put_bucket_notification_configuration(
                    Bucket=name,
                    NotificationConfiguration={
                        "QueueConfigurations": [_queue_notification(n) for n in notifications]
                    },
                )
                _drop_test_event(self.client("sqs"), notifications)

    def _state_machines(self) -> None:
        sfn = self.client("stepfunctions")
        for logical in self.template.of_type("AWS::Serverless::StateMachine"):
            sfn.create_state_machine(
                name=self.template.name(logical),
                definition=self.template.state_machine_definition(logical),
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/{self.template.stack_name}-{logical}Role",
            )


SUPPORTED = {
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::S3::Bucket",
    "AWS::Serverless::StateMachine",
}


def _set(call, props: dict, prop: str, **resource) -> None:
    """A property set by its own call once the resource exists (as CloudFormation does), if given."""
    if prop in props:
        call(**resource, **{prop: props[prop]})


def _lifecycle_rule(rule: dict) -> dict:
    out = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "AbortIncompleteMultipartUpload" in rule:
        out["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return out


def _cors_rule(rule: dict) -> dict:
    renamed = {"MaxAge": "MaxAgeSeconds", "Id": "ID"}
    return {renamed.get(k, k): v for k, v in rule.items()}


def _queue_notification(config: dict) -> dict:
    out = {"QueueArn": config["Queue"], "Events": [config["Event"]]}
    if "Filter" in config:
        out["Filter"] = {"Key": {"FilterRules": config["Filter"]["S3Key"]["Rules"]}}
    return out


def _drop_test_event(sqs, notifications: list[dict]) -> None:
    """Saving a notification configuration sends an s3:TestEvent (as AWS does); the handlers
    skip it anyway, but a fresh stack starts with empty queues."""
    for arn in {n["Queue"] for n in notifications}:
        url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
        sqs.purge_queue(QueueUrl=url)
