"""Least privilege, as deployed: template.yaml expanded by samtranslator, each function's role
judged against a table of what it must and must not be able to do. Every function of the template
needs its row, so a function added later declares what it may do. The images bucket's policy
lets nobody but the stack's roles and DropWriterArns write under drop/ (it spends credits)."""

import json

import pytest

from harness import TEMPLATE as SOURCE
from iam import Principal, allowed, bucket_policy, expanded, listed, refused_calls, roles

TEMPLATE = expanded()
ROLES = roles(TEMPLATE)
BUCKET = TEMPLATE.arn("ImagesBucket")
BUCKET_POLICY = bucket_policy(TEMPLATE, "ImagesBucket")
PREFIXES = ("uploads", "batches", "drop", "direct", "staged", "results", "thumbs", "zips", "apps")
TABLES = sorted(TEMPLATE.of_type("AWS::DynamoDB::Table"))
INFERENCE = {"LightInferenceFunction", "MattingInferenceFunction"}
API = {
    "UploadFunction",
    "PricingFunction",
    "AccountFunction",
    "RemoveBgFunction",
    "McpFunction",
    "PaymentWebhookFunction",
}
# Payments configured: the names of the Stripe secrets' SSM parameters (docs/payments.md)
PAID = roles(
    expanded(
        StripeSecretKeyParameter="/bgr/prod/stripe/secret-key",
        StripeWebhookSecretParameter="/bgr/prod/stripe/whsec",
    )
)
SECRETS = ("/bgr/prod/stripe/secret-key", "/bgr/prod/stripe/whsec")
PAYMENTS = {"PricingFunction", "PaymentWebhookFunction"}  # the ones that call Stripe or verify its events


def arn(name: str) -> str:
    """`uploads/x` (an object), `bucket`, `JobsTable[/index/byUser]`, or any logical id."""
    if name == "bucket":
        return BUCKET
    if name.split("/")[0] in PREFIXES:
        return f"{BUCKET}/{name}"
    logical, _, index = name.partition("/")
    return TEMPLATE.arn(logical) + (f"/{index}" if index else "")


def may(function: str, action: str, resource: str, **context) -> bool:
    return allowed(
        ROLES[function],
        action,
        arn(resource),
        context,
        resource_policy=bucket_policy(TEMPLATE, "ImagesBucket"),
    )


MONEY = [  # credits.apply: a balance change with its ledger entry
    ("dynamodb:GetItem", "CreditAccountsTable"),
    ("dynamodb:UpdateItem", "CreditAccountsTable"),
    ("dynamodb:PutItem", "CreditLedgerTable"),
]
ENDS_WORK = [  # bgr_core.work.lifecycle: a job or batch item ends, the ZIP starts, a webhook is queued
    ("dynamodb:UpdateItem", "JobsTable"),
    ("dynamodb:UpdateItem", "BatchesTable"),
    ("dynamodb:UpdateItem", "UsageTable"),
    ("states:StartExecution", "BatchZipStateMachine"),
    ("sqs:SendMessage", "WebhookQueue"),
    *MONEY,
]
NO_MONEY = [  # a balance or ledger written by no money path
    ("dynamodb:PutItem", "CreditAccountsTable"),
    ("dynamodb:UpdateItem", "CreditAccountsTable"),
    ("dynamodb:PutItem", "CreditLedgerTable"),
]
NEVER = [  # for every function
    ("s3:PutObject", "drop/alice/basic/a.jpg"),
    ("s3:PutObjectAcl", "results/alice/j.png"),
    ("s3:PutLifecycleConfiguration", "bucket"),
    ("s3:PutBucketPolicy", "bucket"),
    ("s3:PutBucketAcl", "bucket"),
    ("s3:DeleteBucket", "bucket"),
    ("s3:PutObject", "apps/avatar-creator/alice/a.png"),
    ("dynamodb:DeleteItem", "CreditLedgerTable"),
    ("dynamodb:DeleteItem", "CreditAccountsTable"),
    ("dynamodb:DeleteItem", "ApiKeysTable"),
    ("dynamodb:Scan", "JobsTable"),
    ("dynamodb:DeleteTable", "JobsTable"),
    ("lambda:InvokeFunction", "UploadFunction"),
    ("states:StartExecution", "UploadFunction"),
]

# function -> (must be allowed, must be denied), beyond NEVER and the prefix rules below
TABLE: dict[str, tuple[list, list]] = {
    "UploadFunction": (
        [
            ("s3:PutObject", "uploads/alice/j/a.jpg"),  # the presigned form's
            ("s3:PutObject", "batches/alice/b/000/a.jpg"),
            ("s3:PutObject", "direct/alice/j/a.jpg"),
            ("s3:GetObject", "apps/avatar-creator/alice/a.png"),  # an integration batch's copies
            ("s3:ListBucket", "bucket", {"s3:prefix": "apps/avatar-creator/alice/"}),
            ("s3:GetObject", "results/alice/j.png"),
            ("lambda:InvokeFunction", "LightInferenceFunction"),
            ("lambda:InvokeFunction", "MattingInferenceFunction"),
            ("dynamodb:PutItem", "JobsTable"),
            ("dynamodb:PutItem", "BatchesTable"),
            ("dynamodb:Query", "BatchesTable"),
            ("dynamodb:Query", "UsageTable"),
            ("dynamodb:GetItem", "SubscriptionsTable"),
            ("dynamodb:UpdateItem", "RateLimitsTable"),
            *ENDS_WORK,
        ],
        [
            ("s3:ListBucket", "bucket", {"s3:prefix": "results/"}),
            ("s3:ListBucket", "bucket"),
            ("s3:GetObject", "uploads/alice/j/a.jpg"),
            ("s3:DeleteObject", "uploads/alice/j/a.jpg"),
            ("s3:GetObject", "zips/alice/b.zip"),
            ("dynamodb:PutItem", "SubscriptionsTable"),
            ("dynamodb:GetItem", "ApiKeysTable"),
            ("dynamodb:GetItem", "WebhookSecretsTable"),
            ("dynamodb:PutItem", "IdempotencyTable"),
            ("lambda:InvokeFunction", "ZipPlanFunction"),
        ],
    ),
    "PricingFunction": (
        [
            ("dynamodb:GetItem", "SubscriptionsTable"),
            ("dynamodb:PutItem", "SubscriptionsTable"),
            ("dynamodb:UpdateItem", "SubscriptionsTable"),
            ("dynamodb:Query", "UsageTable"),
            ("dynamodb:UpdateItem", "RateLimitsTable"),
        ],
        [
            *NO_MONEY,
            ("dynamodb:UpdateItem", "UsageTable"),
            ("dynamodb:GetItem", "JobsTable"),
            ("dynamodb:PutItem", "PaymentEventsTable"),  # only the webhook applies events
            ("dynamodb:PutItem", "PaymentsTable"),
            ("s3:GetObject", "results/alice/j.png"),
            ("sqs:SendMessage", "WebhookQueue"),
        ],
    ),
    "PaymentWebhookFunction": (
        [
            ("dynamodb:GetItem", "PaymentEventsTable"),
            ("dynamodb:PutItem", "PaymentEventsTable"),
            ("dynamodb:GetItem", "PaymentsTable"),
            ("dynamodb:PutItem", "PaymentsTable"),
            ("dynamodb:GetItem", "SubscriptionsTable"),
            ("dynamodb:PutItem", "SubscriptionsTable"),
            ("dynamodb:PutItem", "CreditAccountsTable"),  # a pack bought before any balance
            *MONEY,
        ],
        [
            ("dynamodb:DeleteItem", "PaymentEventsTable"),  # an event once applied stays applied
            ("dynamodb:UpdateItem", "PaymentEventsTable"),
            ("dynamodb:UpdateItem", "UsageTable"),
            ("dynamodb:Query", "CreditLedgerTable"),
            ("dynamodb:UpdateItem", "RateLimitsTable"),
            ("dynamodb:GetItem", "JobsTable"),
            ("s3:GetObject", "results/alice/j.png"),
            ("sqs:SendMessage", "WebhookQueue"),
        ],
    ),
    "AccountFunction": (
        [
            ("dynamodb:GetItem", "JobsTable"),
            ("dynamodb:Query", "JobsTable/index/byUser"),
            ("dynamodb:Query", "BatchesTable"),
            ("dynamodb:Query", "BatchesTable/index/byUser"),
            ("dynamodb:Query", "CreditLedgerTable"),
            ("dynamodb:PutItem", "ApiKeysTable"),
            ("dynamodb:UpdateItem", "ApiKeysTable"),  # revoking marks the key
            ("dynamodb:Query", "ApiKeysTable/index/byUser"),
            ("dynamodb:PutItem", "WebhookSecretsTable"),
            ("s3:GetObject", "results/alice/j.png"),
            ("s3:GetObject", "thumbs/alice/j.webp"),
            ("s3:GetObject", "zips/alice/b.zip"),
            ("s3:ListBucket", "bucket"),  # /health's HeadBucket
            ("sqs:GetQueueAttributes", "IngestQueue"),
            ("sqs:GetQueueAttributes", "IngestDeadLetterQueue"),
            *MONEY,  # an admin's grant
        ],
        [
            ("dynamodb:UpdateItem", "JobsTable"),
            ("dynamodb:PutItem", "JobsTable"),
            ("dynamodb:UpdateItem", "BatchesTable"),
            ("dynamodb:UpdateItem", "UsageTable"),
            ("dynamodb:PutItem", "SubscriptionsTable"),
            ("s3:GetObject", "uploads/alice/j/a.jpg"),
            ("s3:DeleteObject", "results/alice/j.png"),
            ("sqs:SendMessage", "WebhookQueue"),
            ("sqs:ReceiveMessage", "WebhookQueue"),
            ("lambda:InvokeFunction", "LightInferenceFunction"),
        ],
    ),
    "RemoveBgFunction": (
        [
            ("s3:PutObject", "direct/alice/j/a.jpg"),
            ("s3:GetObject", "results/alice/j.png"),
            ("lambda:InvokeFunction", "LightInferenceFunction"),
            ("lambda:InvokeFunction", "MattingInferenceFunction"),
            ("dynamodb:PutItem", "JobsTable"),
            ("dynamodb:UpdateItem", "JobsTable"),
            ("dynamodb:Query", "UsageTable"),
            ("dynamodb:UpdateItem", "UsageTable"),
            ("dynamodb:UpdateItem", "RateLimitsTable"),
            ("sqs:SendMessage", "WebhookQueue"),
            *MONEY,
        ],
        [
            ("s3:PutObject", "uploads/alice/j/a.jpg"),
            ("s3:GetObject", "direct/alice/j/a.jpg"),
            ("dynamodb:PutItem", "BatchesTable"),
            ("dynamodb:GetItem", "ApiKeysTable"),
            ("states:StartExecution", "BatchZipStateMachine"),
        ],
    ),
    "McpFunction": (
        [
            ("s3:PutObject", "staged/alice/u/a.jpg"),  # create_upload's presigned form
            ("s3:GetObject", "staged/alice/u/a.jpg"),  # read, HEAD, and the copy's source
            ("s3:ListBucket", "bucket", {"s3:prefix": "staged/alice/u/"}),
            ("s3:PutObject", "direct/alice/j/a.jpg"),
            ("s3:PutObject", "batches/alice/b/000/a.jpg"),
            ("s3:GetObject", "results/alice/j.png"),
            ("s3:GetObject", "thumbs/alice/j.webp"),
            ("s3:GetObject", "zips/alice/b.zip"),  # batch_status links the ZIP
            ("lambda:InvokeFunction", "LightInferenceFunction"),
            ("lambda:InvokeFunction", "MattingInferenceFunction"),
            ("dynamodb:PutItem", "JobsTable"),
            ("dynamodb:Query", "JobsTable/index/byUser"),
            ("dynamodb:PutItem", "BatchesTable"),
            ("dynamodb:Query", "BatchesTable"),
            ("dynamodb:Query", "UsageTable"),
            ("dynamodb:GetItem", "SubscriptionsTable"),
            ("dynamodb:UpdateItem", "RateLimitsTable"),
            *ENDS_WORK,
        ],
        [
            ("s3:PutObject", "uploads/alice/j/a.jpg"),
            ("s3:GetObject", "uploads/alice/j/a.jpg"),
            ("s3:GetObject", "direct/alice/j/a.jpg"),
            ("s3:GetObject", "apps/avatar-creator/alice/a.png"),
            ("s3:DeleteObject", "staged/alice/u/a.jpg"),
            ("s3:ListBucket", "bucket", {"s3:prefix": "results/"}),
            ("s3:ListBucket", "bucket"),
            ("dynamodb:GetItem", "ApiKeysTable"),
            ("dynamodb:PutItem", "SubscriptionsTable"),
            ("dynamodb:GetItem", "WebhookSecretsTable"),
            ("dynamodb:PutItem", "IdempotencyTable"),
            ("lambda:InvokeFunction", "ZipPlanFunction"),
        ],
    ),
    "ApiKeyAuthorizerFunction": (
        [("dynamodb:GetItem", "ApiKeysTable"), ("dynamodb:UpdateItem", "ApiKeysTable")],
        [
            ("dynamodb:PutItem", "ApiKeysTable"),
            ("dynamodb:Query", "ApiKeysTable/index/byUser"),
            ("dynamodb:GetItem", "JobsTable"),
            ("s3:GetObject", "results/alice/j.png"),
            *NO_MONEY,
        ],
    ),
    "IngestRouterFunction": (
        [
            ("dynamodb:GetItem", "JobsTable"),
            ("dynamodb:GetItem", "BatchesTable"),
            ("sqs:SendMessage", "LightInferenceQueue"),
            ("sqs:SendMessage", "MattingInferenceQueue"),
        ],
        [
            ("dynamodb:UpdateItem", "JobsTable"),
            ("sqs:SendMessage", "IngestQueue"),
            ("sqs:SendMessage", "WebhookQueue"),
            ("s3:GetObject", "uploads/alice/j/a.jpg"),
            *NO_MONEY,
        ],
    ),
    **{
        inference: (
            [
                ("s3:GetObject", "uploads/alice/j/a.jpg"),
                ("s3:GetObject", "batches/alice/b/000/a.jpg"),
                ("s3:GetObject", "drop/alice/basic/a.jpg"),
                ("s3:GetObject", "direct/alice/j/a.jpg"),
                ("s3:PutObject", "results/alice/j.png"),
                ("s3:PutObject", "thumbs/alice/j.webp"),
                ("s3:DeleteObject", "uploads/alice/j/a.jpg"),  # came after its deadline
                ("s3:DeleteObject", "results/alice/j.png"),  # its job ended meanwhile
                ("s3:DeleteObject", "thumbs/alice/j.webp"),
                ("dynamodb:PutItem", "JobsTable"),  # a drop's job
                ("dynamodb:GetItem", "SubscriptionsTable"),
                ("dynamodb:PutItem", "IdempotencyTable"),
                ("dynamodb:DeleteItem", "IdempotencyTable"),
                *ENDS_WORK,
            ],
            [
                ("s3:PutObject", "uploads/alice/j/a.jpg"),
                ("s3:GetObject", "zips/alice/b.zip"),
                ("s3:DeleteObject", "zips/alice/b.zip"),
                ("s3:ListBucket", "bucket"),
                ("dynamodb:PutItem", "BatchesTable"),
                ("dynamodb:PutItem", "SubscriptionsTable"),
                ("dynamodb:GetItem", "ApiKeysTable"),
                ("lambda:InvokeFunction", "LightInferenceFunction"),
            ],
        )
        for inference in INFERENCE
    },
    "DeadLetterFunction": (
        [
            ("s3:DeleteObject", "results/alice/j.png"),  # what a dying attempt wrote
            ("s3:DeleteObject", "thumbs/alice/j.webp"),
            ("dynamodb:GetItem", "JobsTable"),
            *ENDS_WORK,
        ],
        [
            ("s3:PutObject", "results/alice/j.png"),
            ("s3:GetObject", "uploads/alice/j/a.jpg"),
            ("s3:DeleteObject", "uploads/alice/j/a.jpg"),
            ("dynamodb:PutItem", "JobsTable"),
        ],
    ),
    "UploadDeadlineFunction": (
        [
            ("dynamodb:Query", "JobsTable/index/pendingUploads"),
            ("dynamodb:Query", "BatchesTable/index/pendingUploads"),
            ("dynamodb:Query", "BatchesTable"),
            ("s3:GetObject", "uploads/alice/j/a.jpg"),  # HeadObject: did it arrive, and when
            ("s3:GetObject", "batches/alice/b/000/a.jpg"),
            *ENDS_WORK,
        ],
        [
            ("dynamodb:Query", "JobsTable/index/byUser"),
            ("s3:DeleteObject", "uploads/alice/j/a.jpg"),
            ("s3:GetObject", "results/alice/j.png"),
            ("dynamodb:PutItem", "JobsTable"),
        ],
    ),
    "WebhookFunction": (
        [
            ("dynamodb:GetItem", "JobsTable"),
            ("dynamodb:UpdateItem", "JobsTable"),
            ("dynamodb:Query", "BatchesTable"),
            ("dynamodb:GetItem", "WebhookSecretsTable"),
            ("dynamodb:PutItem", "WebhookSecretsTable"),
            ("s3:GetObject", "results/alice/j.png"),
            ("s3:GetObject", "zips/alice/b.zip"),
            ("sqs:ChangeMessageVisibility", "WebhookQueue"),
        ],
        [
            ("sqs:SendMessage", "WebhookQueue"),
            ("s3:GetObject", "uploads/alice/j/a.jpg"),
            ("dynamodb:PutItem", "JobsTable"),
            *NO_MONEY,
        ],
    ),
    "ZipPlanFunction": (
        [
            ("dynamodb:GetItem", "BatchesTable"),
            ("dynamodb:Query", "BatchesTable"),
            ("s3:PutObject", "zips/alice/b.zip.parts/plan.json"),
            ("s3:PutObject", "zips/alice/b.zip"),  # the ZIP's multipart upload opened
            ("s3:AbortMultipartUpload", "zips/alice/b.zip"),  # when the plan cannot be written
        ],
        [("dynamodb:UpdateItem", "BatchesTable"), ("s3:GetObject", "uploads/alice/j/a.jpg"), *NO_MONEY],
    ),
    "ZipSegmentFunction": (
        [
            ("s3:GetObject", "results/alice/batches/b/000.png"),
            ("s3:GetObject", "zips/alice/b.zip.parts/plan.json"),
            ("s3:PutObject", "zips/alice/b.zip"),  # its parts of the ZIP's upload
            ("s3:PutObject", "zips/alice/b.zip.parts/segment-000.json"),
        ],
        [
            ("dynamodb:GetItem", "BatchesTable"),
            ("s3:DeleteObject", "zips/alice/b.zip"),
            ("s3:AbortMultipartUpload", "zips/alice/b.zip"),
            *NO_MONEY,
        ],
    ),
    "ZipFinalizeFunction": (
        [
            ("s3:GetObject", "zips/alice/b.zip.parts/segment-000.json"),  # a segment's ETags and CRCs
            ("s3:PutObject", "zips/alice/b.zip"),
            ("s3:DeleteObject", "zips/alice/b.zip.parts/segment-000.json"),
            ("dynamodb:UpdateItem", "BatchesTable"),
            ("sqs:SendMessage", "WebhookQueue"),
        ],
        [("s3:GetObject", "results/alice/j.png"), ("dynamodb:UpdateItem", "JobsTable"), *NO_MONEY],
    ),
    "ZipFailedFunction": (
        [
            ("s3:ListBucket", "bucket", {"s3:prefix": "zips/alice/b.zip.parts/"}),
            ("s3:GetObject", "zips/alice/b.zip.parts/plan.json"),  # the upload to abort
            ("s3:AbortMultipartUpload", "zips/alice/b.zip"),
            ("s3:DeleteObject", "zips/alice/b.zip.parts/segment-000.json"),
            ("dynamodb:UpdateItem", "BatchesTable"),
            ("sqs:SendMessage", "WebhookQueue"),
        ],
        [
            ("s3:ListBucket", "bucket", {"s3:prefix": "results/"}),
            ("s3:DeleteObject", "results/alice/j.png"),
            ("s3:PutObject", "zips/alice/b.zip"),
            *NO_MONEY,
        ],
    ),
    "BatchZipStateMachine": (
        [
            ("lambda:InvokeFunction", "ZipPlanFunction"),
            ("lambda:InvokeFunction", "ZipSegmentFunction"),
            ("lambda:InvokeFunction", "ZipFinalizeFunction"),
            ("lambda:InvokeFunction", "ZipFailedFunction"),
        ],
        [("lambda:InvokeFunction", "LightInferenceFunction"), ("s3:GetObject", "zips/alice/b.zip")],
    ),
}


def _rows(kind: int) -> list[tuple[str, str, str, dict]]:
    return [
        (function, *row[:2], row[2] if len(row) > 2 else {})
        for function, rows in TABLE.items()
        for row in rows[kind]
    ]


def test_every_function_and_state_machine_has_its_row():
    assert set(TABLE) == set(ROLES)


@pytest.mark.parametrize(("function", "action", "resource", "context"), _rows(0))
def test_allowed(function, action, resource, context):
    assert may(function, action, resource, **context)


@pytest.mark.parametrize(("function", "action", "resource", "context"), _rows(1))
def test_denied(function, action, resource, context):
    assert not may(function, action, resource, **context)


@pytest.mark.parametrize("function", sorted(TABLE))
@pytest.mark.parametrize(("action", "resource"), NEVER)
def test_never(function, action, resource):
    assert not may(function, action, resource)


@pytest.mark.parametrize("function", sorted(TABLE))
def test_only_inference_writes_results_and_thumbnails(function):
    for key in ("results/alice/j.png", "results/alice/drop/j.png", "thumbs/alice/j.webp"):
        assert may(function, "s3:PutObject", key) == (function in INFERENCE), key


@pytest.mark.parametrize("function", sorted(TABLE))
def test_only_an_admins_grant_or_a_bought_pack_creates_a_balance(function):
    """Every other money path changes a balance that exists (a charge needs one, a refund follows
    a charge)."""
    creators = {"AccountFunction", "PaymentWebhookFunction"}
    assert may(function, "dynamodb:PutItem", "CreditAccountsTable") == (function in creators)


@pytest.mark.parametrize("function", sorted(TABLE))
def test_only_the_payment_functions_read_the_stripe_secrets_once_they_are_named(function):
    for name in SECRETS:
        resource = f"arn:aws:ssm:ap-southeast-3:123456789012:parameter{name}"
        assert not allowed(ROLES[function], "ssm:GetParameter", resource)  # not named: no grant at all
        assert allowed(PAID[function], "ssm:GetParameter", resource) == (function in PAYMENTS)
    other = "arn:aws:ssm:ap-southeast-3:123456789012:parameter/bgr/prod/other"
    assert not allowed(PAID[function], "ssm:GetParameter", other)


@pytest.mark.parametrize("function", sorted(TABLE))
def test_only_the_zip_tasks_write_zips(function):
    writers = {"ZipPlanFunction", "ZipSegmentFunction", "ZipFinalizeFunction"}
    assert may(function, "s3:PutObject", "zips/alice/b.zip") == (function in writers)


@pytest.mark.parametrize("function", sorted(TABLE))
def test_on_the_bucket_itself_a_function_may_only_list(function):
    """Nothing bucket-level but ListBucket: no configuration, policy, ACL, lifecycle or CORS."""
    for statement in ROLES[function].statements:
        s3 = [a for a in listed(statement["Action"]) if a.lower().startswith("s3:")]
        if s3 and any(r in (BUCKET, "*") for r in listed(statement["Resource"])):
            assert s3 == ["s3:ListBucket"], statement


@pytest.mark.parametrize("function", sorted(API))
def test_api_functions_may_name_any_missing_table(function):
    """api.errors answers a missing table by its name (db.missing_tables asks each one)."""
    for table in TABLES:
        assert may(function, "dynamodb:DescribeTable", table), table


def test_lambda_invokes_name_exact_functions():
    for function, principal in ROLES.items():
        for statement in principal.statements:
            if "lambda:InvokeFunction" in statement["Action"]:
                for resource in statement["Resource"]:
                    assert "*" not in resource and resource.count(":") == 6, (function, resource)


# -- drop/: the bucket's own policy -------------------------------------------------------
DROP_KEY = "drop/alice/basic/photo.jpg"
ANYONE = f"arn:aws:iam::{TEMPLATE.ref('AWS::AccountId')}:role/ci-deployer"
UPLOADER = f"arn:aws:iam::{TEMPLATE.ref('AWS::AccountId')}:user/partner-uploader"
# what docs/operations.md's "Letting one user drop files" attaches to one principal
README_POLICY = [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{BUCKET}/drop/alice/*"}]
WIDE_POLICY = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]


def _drop(template, principal: Principal, key: str = DROP_KEY) -> bool:
    return allowed(
        principal, "s3:PutObject", f"{BUCKET}/{key}", resource_policy=bucket_policy(template, "ImagesBucket")
    )


def test_nobody_outside_the_allow_list_writes_under_drop_whatever_its_own_policy():
    assert not _drop(TEMPLATE, Principal(ANYONE, WIDE_POLICY))
    assert not _drop(TEMPLATE, Principal(UPLOADER, README_POLICY))
    # the same principals elsewhere in the bucket: only drop/ is guarded by the bucket
    assert allowed(Principal(ANYONE, WIDE_POLICY), "s3:PutObject", f"{BUCKET}/uploads/a/b/c.jpg")


def test_a_drop_writer_arn_writes_exactly_what_its_own_policy_names():
    template = expanded(DropWriterArns=f"{UPLOADER},arn:aws:iam::210987654321:role/other-account")
    assert _drop(template, Principal(UPLOADER, README_POLICY))
    assert not _drop(template, Principal(UPLOADER, README_POLICY), "drop/bob/basic/photo.jpg")
    assert not _drop(template, Principal(ANYONE, WIDE_POLICY))


def test_the_stacks_own_roles_are_not_denied_by_the_bucket_but_granted_no_drop_writes():
    statements = bucket_policy(TEMPLATE, "ImagesBucket")
    for function, principal in ROLES.items():
        assert not allowed(principal, "s3:PutObject", f"{BUCKET}/{DROP_KEY}", resource_policy=statements)
        widened = Principal(principal.arn, WIDE_POLICY)
        assert allowed(widened, "s3:PutObject", f"{BUCKET}/{DROP_KEY}", resource_policy=statements), function


def test_a_recorded_call_its_role_does_not_allow_is_reported(tmp_path):
    """What tests/serving.py checks after every end-to-end run (bgr_local.aws_calls' records)."""
    local = expanded(stack_name="bgr-local", region="ap-southeast-1")
    bucket, table = local.name("ImagesBucket"), local.name("SubscriptionsTable")
    calls = [
        {"service": "dynamodb", "operation": "GetItem", "params": {"TableName": table}},
        {"service": "s3", "operation": "PutObject", "params": {"Bucket": bucket, "Key": "results/a/j.png"}},
        {
            "service": "s3",
            "operation": "PostObject",
            "params": {"Bucket": bucket, "Key": "drop/a/b/x.jpg"},
        },
    ]
    (tmp_path / "PricingFunction.jsonl").write_text("".join(json.dumps(c) + "\n" for c in calls))
    assert refused_calls(tmp_path, local) == {
        "PricingFunction": [
            ("s3:PutObject", f"arn:aws:s3:::{bucket}/results/a/j.png", {}),
            ("s3:PutObject", f"arn:aws:s3:::{bucket}/drop/a/b/x.jpg", {}),
        ]
    }


def test_a_function_reads_and_deletes_messages_of_its_own_event_source_only():
    """SAM's SQS event attaches a managed policy for any queue; each role denies all but its own."""
    queues = sorted(SOURCE.of_type("AWS::SQS::Queue"))
    for function in sorted(SOURCE.of_type("AWS::Serverless::Function")):
        own = {
            event["Properties"]["Queue"]["Fn::GetAtt"][0]
            for event in SOURCE.resources[function]["Properties"].get("Events", {}).values()
            if event["Type"] == "SQS"
        }
        for queue in queues:
            for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage"):
                assert may(function, action, queue) == (queue in own), (function, action, queue)
