import io

import boto3
import pytest
from PIL import Image

from bgr_local.context import LambdaContext
from harness import TEMPLATE
from queues import receive, sqs_event


@pytest.fixture(scope="session")
def cat_png(cat) -> bytes:
    out = io.BytesIO()
    cat.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def inference(aws):
    """The inference handler, the ingest queue moto fills from the bucket, and helpers."""
    from functions.inference import app

    return Pipeline(app)


class Pipeline:
    bucket = TEMPLATE.name("ImagesBucket")
    queue_url = TEMPLATE.ref("IngestQueue")

    def __init__(self, module):
        self.module = module
        self.s3 = boto3.client("s3")
        self.sqs = boto3.client("sqs")

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)

    def invoke(self, messages: list[dict]) -> dict:
        """Runs the handler on messages S3 sent (the router's forwarding left out)."""
        return self.module.handler(
            sqs_event(messages, "LightInferenceQueue"), LambdaContext("LightInferenceFunction")
        )

    def run(self) -> dict:
        """Delivers whatever S3 has sent to the handler once."""
        return self.invoke(receive("IngestQueue"))

    def keys(self, prefix: str) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return [o["Key"] for o in listing.get("Contents", [])]

    def image(self, key: str) -> Image.Image:
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return Image.open(io.BytesIO(body))
