"""The batch ZIP workflow's tasks (infra/batch_zip.asl.json), thin over the zipper and the core.

The state stays small whatever the batch size: the plan (with the ZIP's open multipart upload)
and the manifest, both made by Plan from the settled items, live in S3 next to the segments'
metadata (under the ZIP's `.parts/` prefix) and the state carries its key, segment numbers and
metadata keys. The items are read once, by Plan: they change no more once the ZIP starts.
"""

import contextlib
import json
import posixpath

from bgr_core.platform import aws_clients, observability, storage
from bgr_core.platform.config import get_settings
from bgr_core.platform.models import Batch, BatchItem
from bgr_core.work import batches, lifecycle
from bgr_core.work.status import ItemStatus, ZipStatus
from zipper import abort_zip, finalize_zip, start_zip, write_segment, zip_names

PLAN, MANIFEST = "plan.json", "manifest.json"  # under the ZIP's .parts/, written by Plan


def _batch(event: dict) -> Batch:
    batch = batches.get(event["batchId"])
    if batch is None:
        raise LookupError(f"batch {event['batchId']} not found")
    return batch


def _parts(batch: Batch) -> str:
    return f"{storage.zip_key(batch.user_id, batch.id)}.parts/"


def _named_results(batch: Batch, items: list[BatchItem]) -> list[tuple[BatchItem, str]]:
    """The completed items, in index order, with their (sanitized, unique) names in the ZIP."""
    done = [item for item in items if item.status == ItemStatus.COMPLETED]
    return list(
        zip(done, zip_names([item.filename for item in done], f".{batch.options.format}"), strict=True)
    )


def _bucket() -> str:
    return get_settings().bucket_name


@observability.handler
def plan(event: dict, context) -> dict:
    """{batchId} -> {planKey, segments: [segment numbers]}: the ZIP's layout in segments of whole
    parts, and its multipart upload opened."""
    batch = _batch(event)
    items = batches.items(batch.id)  # every one settled: they change no more
    results = [
        {"key": item.result_key, "size": int(item.processed_size), "name": name}
        for item, name in _named_results(batch, items)
    ]
    s3 = aws_clients.client("s3")
    planned = start_zip(s3, _bucket(), storage.zip_key(batch.user_id, batch.id), results)
    plan_key = _parts(batch) + PLAN
    try:
        for key, body in (
            (_parts(batch) + MANIFEST, _manifest(batch, items)),
            (plan_key, json.dumps(planned)),
        ):
            s3.put_object(Bucket=_bucket(), Key=key, Body=body, ContentType="application/json")
    except BaseException:
        abort_zip(s3, _bucket(), planned)  # nothing would know the upload: no retry, no ZipFailed
        raise
    return {"planKey": plan_key, "segments": [segment["index"] for segment in planned["segments"]]}


@observability.handler
def segment(event: dict, context) -> dict:
    """{planKey, segment} -> {metadataKey, size}: one segment's parts of the ZIP uploaded."""
    planned = json.loads(storage.get_bytes(event["planKey"]))
    key = f"{posixpath.dirname(event['planKey'])}/segment-{event['segment']:03d}.json"
    return write_segment(aws_clients.client("s3"), _bucket(), planned, event["segment"], key)


def _manifest(batch: Batch, items: list[BatchItem]) -> bytes:
    names = {item.index: name for item, name in _named_results(batch, items)}
    return json.dumps(
        {
            "batchId": batch.id,
            "tier": batch.tier,
            "status": batch.status,
            "totalImages": int(batch.total_images),
            "processedImages": int(batch.processed_images),
            "failedImages": int(batch.failed_images),
            "items": [
                {
                    "index": int(item.index),
                    "filename": item.filename,
                    "file": names.get(item.index),
                    "status": item.status,
                    "errorCode": item.error_code,
                    "error": item.error_message,
                }
                for item in items
            ],
        },
        indent=2,
    ).encode()


@observability.handler
def finalize(event: dict, context) -> dict:
    """{batchId, planKey, segments} -> {zipKey, zipSize}: the last part (manifest.json and the central
    directory) uploaded and the ZIP's upload completed; the batch's ZIP is ready."""
    batch = _batch(event)
    manifest_key = _parts(batch) + MANIFEST
    planned = json.loads(storage.get_bytes(event["planKey"]))
    manifest = storage.get_bytes(manifest_key)
    built = finalize_zip(aws_clients.client("s3"), _bucket(), planned, event["segments"], manifest)
    lifecycle.end_batch(batch, lifecycle.ZipReady(built["key"], built["size"]))
    storage.delete(event["planKey"], manifest_key)
    return {"zipKey": built["key"], "zipSize": built["size"]}


def _reason(error: dict) -> str:
    """Step Functions' {Error, Cause}; a Lambda's Cause is its JSON error payload."""
    cause = error.get("Cause") or ""
    with contextlib.suppress(ValueError, AttributeError):
        cause = json.loads(cause).get("errorMessage", cause)
    return f"{error.get('Error', 'Error')}: {cause}"


@observability.handler
def failed(event: dict, context) -> dict:
    """{batchId, error} -> the batch's ZIP marked failed (results untouched), its upload aborted and
    its parts removed, so that bgr_core.work.zip_workflow.rerun() starts clean."""
    batch = _batch(event)
    lifecycle.end_batch(batch, lifecycle.ZipFailed(_reason(event.get("error") or {})))
    s3, plan_key = aws_clients.client("s3"), _parts(batch) + PLAN
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=_bucket(), Prefix=_parts(batch))
    keys = [obj["Key"] for page in pages for obj in page.get("Contents", ())]
    if plan_key in keys:  # without a plan no upload is open (Plan aborts it when it cannot write one)
        abort_zip(s3, _bucket(), json.loads(storage.get_bytes(plan_key)))
    storage.delete(*keys)
    return {"zipStatus": ZipStatus.FAILED}
