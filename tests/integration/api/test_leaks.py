"""Nothing of the deployment leaks into an answer or a record a user can read: a failed direct
invoke and a missing table are answered (and the job's errorMessage written) without AWS's error
text, ARNs, endpoint URLs, function or table names."""

import base64
import re

import boto3
from removebg_events import removebg_event
from test_upload import multipart, png

from bgr_core.platform.models import Job
from harness import TEMPLATE
from money import fund

AWS_TEXT = re.compile(
    r"arn:aws|amazonaws\.com|https?://|localhost|127\.0\.0\.1|botocore|An error occurred|Exception|"
    r"ResourceNotFound|Function not found|Requested resource",
    re.IGNORECASE,
)
NAMES = [
    TEMPLATE.name(logical)
    for kind in ("AWS::DynamoDB::Table", "AWS::Serverless::Function", "AWS::S3::Bucket", "AWS::SQS::Queue")
    for logical in TEMPLATE.of_type(kind)
]


def assert_clean(text: str) -> None:
    assert not AWS_TEXT.search(text), text
    assert not [name for name in NAMES if name in text], text


def test_a_failed_invoke_answers_and_records_no_aws_text(api):
    # ?wait and remove.bg run the cutout by a Lambda Invoke; none is deployed on moto here, so
    # botocore raises ResourceNotFoundException naming the function and its ARN
    fund("user-1", 10)
    reply = multipart(api, png(), query={"wait": "1"}, headers={"Accept": "image/png"})
    assert reply.status == 503 and reply.error == "INFERENCE_FAILED"
    assert_clean(reply.raw["body"])
    (job,) = list(Job.scan())
    assert job.status == "failed" and job.refunded_at is not None
    assert_clean(job.error_message)
    shown = api("job", path={"jobId": job.id})
    assert shown.body["job"]["errorMessage"] == job.error_message
    assert_clean(shown.raw["body"])

    answered = api.send(removebg_event(api, "user-1", {"image_file_b64": base64.b64encode(png()).decode()}))
    assert answered.status == 503
    assert_clean(answered.raw["body"])
    assert all(j.error_message and not AWS_TEXT.search(j.error_message) for j in Job.scan())


def test_a_missing_table_answers_no_table_name(api):
    fund("user-1", 10)
    boto3.client("dynamodb").delete_table(TableName=TEMPLATE.name("JobsTable"))
    for name in ("jobs", "remove-json", "stats", "health"):
        reply = api(name)
        assert reply.status == 503, (name, reply.raw)
        assert_clean(reply.raw["body"])
    answered = api.send(removebg_event(api, "user-1", {"image_file_b64": base64.b64encode(png()).decode()}))
    assert answered.status == 503
    assert_clean(answered.raw["body"])
