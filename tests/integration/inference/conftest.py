import io

import boto3
import pytest
from PIL import Image
from skimage import data as samples

from bgr_core import credits
from bgr_local.context import LambdaContext
from harness import TEMPLATE


@pytest.fixture(scope="session")
def photo_jpeg() -> bytes:
    """A real photo (scikit-image's astronaut), 512x512 JPEG."""
    out = io.BytesIO()
    Image.fromarray(samples.astronaut()).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture(scope="session")
def cat_png() -> bytes:
    out = io.BytesIO()
    Image.fromarray(samples.chelsea()).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def inference(aws):
    """The inference handler, the ingest queue moto fills from the bucket, and helpers."""
    from functions.inference import app

    return Pipeline(app)


class Pipeline:
    bucket = TEMPLATE.name("ImagesBucket")
    queue_url = TEMPLATE.ref("IngestQueue")
    dlq_url = TEMPLATE.ref("IngestDeadLetterQueue")

    def __init__(self, module):
        self.module = module
        self.s3 = boto3.client("s3")
        self.sqs = boto3.client("sqs")

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)

    def receive(self, queue_url: str | None = None) -> list[dict]:
        """The messages S3 really sent (as the Lambda event source would receive them)."""
        messages = []
        while True:
            got = self.sqs.receive_message(
                QueueUrl=queue_url or self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
            ).get("Messages", [])
            if not got:
                return messages
            messages += got

    @staticmethod
    def event(messages: list[dict], queue_arn: str = TEMPLATE.arn("IngestQueue")) -> dict:
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": queue_arn,
                    "awsRegion": TEMPLATE.region,
                }
                for m in messages
            ]
        }

    def invoke(self, messages: list[dict]) -> dict:
        return self.module.handler(self.event(messages), LambdaContext("LightInferenceFunction"))

    def run(self) -> dict:
        """Delivers whatever is queued to the handler once."""
        return self.invoke(self.receive())

    def keys(self, prefix: str) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return [o["Key"] for o in listing.get("Contents", [])]

    def image(self, key: str) -> Image.Image:
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return Image.open(io.BytesIO(body))


@pytest.fixture
def funded():
    def grant(user="u1", amount=100):
        credits.grant(user, amount, admin_id="test", reason="seed")

    return grant
