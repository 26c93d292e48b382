"""Driving a batch through its items the way the inference function does, and waiting for the ZIP
workflow that moto's Step Functions runs with the real handlers (bgr_local.lambdas)."""

import io
import time

import boto3
from PIL import Image

from bgr_core.platform import storage
from bgr_core.platform.models import Batch
from bgr_core.work import batches, lifecycle, settlement
from harness import TEMPLATE

STATE_MACHINE = TEMPLATE.arn("BatchZipStateMachine")


def png(index: int, size: int = 24) -> bytes:
    """A real, small, distinct PNG cutout."""
    image = Image.new("RGBA", (size, size), (index % 256, (index * 7) % 256, 90, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def process(batch: Batch, corrupt: frozenset[int] = frozenset(), result=png) -> dict[int, bytes]:
    """Starts and settles every item: the corrupt ones fail, the others complete with a PNG result
    written to S3. Returns the results by item index."""
    results = {}
    for index in range(int(batch.total_images)):
        assert settlement.start_item(batch.id, index)
        if index in corrupt:
            assert lifecycle.end_item(
                batch.id, index, lifecycle.Failed("CORRUPT_IMAGE", "the image cannot be decoded")
            )
            continue
        key = storage.result_key(batch.user_id, f"{index:03d}", "png", folder=f"batches/{batch.id}")
        results[index] = result(index)
        storage.put_image(key, results[index], "image/png")
        completed = lifecycle.Completed(
            result_key=key, processed_size=len(results[index]), model_name="u2netp", processing_time=400
        )
        lifecycle.end_item(batch.id, index, completed)
    return results


def executions(batch_id: str) -> list[dict]:
    sfn = boto3.client("stepfunctions", region_name=TEMPLATE.region)
    listed = sfn.list_executions(stateMachineArn=STATE_MACHINE)["executions"]
    return [e for e in listed if e["name"].startswith(batch_id)]


def wait_for_zip(batch_id: str, deadline_s: float = 120) -> Batch:
    """Polls until every execution of the batch's workflow has ended (executions run in a thread)."""
    give_up = time.monotonic() + deadline_s
    while any(e["status"] == "RUNNING" for e in executions(batch_id)):
        assert time.monotonic() < give_up, "the ZIP workflow did not finish"
        time.sleep(0.2)
    return batches.get(batch_id)
