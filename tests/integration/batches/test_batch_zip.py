"""The batch ZIP workflow end to end: infra/batch_zip.asl.json executed by moto's Step Functions,
its lambda:invoke tasks running functions/batch_zip/app.py (the binding in bgr_local.lambdas)."""

import io
import json
import shutil
import subprocess
import sys
import zipfile

import boto3
from workflow import STATE_MACHINE, executions, process, wait_for_zip

from bgr_core.platform import storage
from bgr_core.platform.aws_clients import client
from bgr_core.platform.models import Batch, BatchItemGroup, LedgerEntry, item_group_key
from bgr_core.work import batches, lifecycle, settlement, zip_workflow
from bgr_core.work.batches import ImageSpec
from bgr_core.work.output_options import OutputOptions
from bgr_local.lambdas import functions
from harness import TEMPLATE
from money import fund

BUCKET = TEMPLATE.name("ImagesBucket")


def new_batch(count: int, user: str = "u1", names=None):
    fund(user, 10_000)
    images = [
        ImageSpec(filename=(names or {}).get(i, f"IMG_{i:04d}.jpg"), contentType="image/jpeg", sizeBytes=1000)
        for i in range(count)
    ]
    return batches.create(user, "standard", images, options=OutputOptions())


def zip_bytes(batch) -> bytes:
    return storage.get_bytes(batch.zip_key)


def assert_unzip_accepts(data: bytes, tmp_path) -> None:
    unzip = shutil.which("unzip")
    assert unzip, "Info-ZIP unzip is needed: apt-get install -y unzip (make setup installs it)"
    path = tmp_path / "batch.zip"
    path.write_bytes(data)
    subprocess.run([unzip, "-tq", str(path)], capture_output=True, check=True)


def open_uploads() -> list[dict]:
    return client("s3").list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])


def test_a_partial_batch_zips_its_results_with_a_manifest(aws, tmp_path):
    names = {4: "../../etc/passwd.jpg", 5: "IMG_0000.jpg", 6: "sub/dir\\evil:name.jpg"}
    batch, items = new_batch(25, names=names)
    assert (batch.discount_percentage, batch.final_price) == (5, 190)
    corrupt = frozenset({2, 11, 19})
    results = process(batch, corrupt)

    done = wait_for_zip(batch.id)
    assert (done.status, done.zip_status, done.zip_error) == ("partial", "ready", None)
    assert done.zip_key == storage.zip_key("u1", batch.id) and done.completed_at is not None
    refunds = sorted((e.delta, e.reference) for e in LedgerEntry.query("u1") if e.reason == "refund")
    assert refunds == sorted((items[i].share, f"batch:{batch.id}#{i}") for i in corrupt)
    assert int(done.credits_refunded) == sum(items[i].share for i in corrupt)

    data = zip_bytes(done)
    assert done.zip_size == len(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert_unzip_accepts(data, tmp_path)
    members = archive.namelist()
    assert len(members) == 23 and members[-1] == "manifest.json"
    assert all(m.endswith(".png") and "/" not in m and ".." not in m for m in members[:-1])
    assert len({m.casefold() for m in members}) == 23

    # The same results, zipped one after another by the standard library, hold the same members.
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as expected:
        for name, index in zip(members[:-1], sorted(results), strict=True):
            expected.writestr(name, results[index])
    expected = zipfile.ZipFile(plain)
    assert [(i.filename, i.file_size, i.CRC) for i in archive.infolist()[:-1]] == [
        (i.filename, i.file_size, i.CRC) for i in expected.infolist()
    ]
    assert all(archive.read(name) == expected.read(name) for name in expected.namelist())

    manifest = json.loads(archive.read("manifest.json"))
    assert [item["index"] for item in manifest["items"]] == list(range(25))
    failed = [item for item in manifest["items"] if item["status"] == "failed"]
    assert [(f["index"], f["errorCode"], f["file"]) for f in failed] == [
        (i, "CORRUPT_IMAGE", None) for i in sorted(corrupt)
    ]
    assert all(item["error"] for item in failed)
    assert {item["file"] for item in manifest["items"] if item["file"]} == set(members[:-1])
    # Nothing of the workflow's own is left behind.
    parts = client("s3").list_objects_v2(Bucket=BUCKET, Prefix=f"{done.zip_key}.parts/").get("KeyCount")
    assert parts == 0 and open_uploads() == []


def test_a_one_image_batch_makes_a_single_small_segment(aws):
    batch, _ = new_batch(1)
    results = process(batch)
    done = wait_for_zip(batch.id)
    assert (done.status, done.zip_status) == ("completed", "ready")
    archive = zipfile.ZipFile(io.BytesIO(zip_bytes(done)))
    assert archive.namelist() == ["IMG_0000.png", "manifest.json"]
    assert archive.read("IMG_0000.png") == results[0] and archive.testzip() is None


def test_duplicate_completion_events_start_one_execution(aws):
    batch, _ = new_batch(2)
    process(batch)
    for _ in range(3):  # redelivered: the item is settled, so nothing is counted or started twice
        assert not settlement.start_item(batch.id, 1)
        lifecycle.end_item(
            batch.id,
            1,
            lifecycle.Completed(
                result_key="results/x.png", processed_size=1, model_name="u2netp", processing_time=1
            ),
        )
        assert not lifecycle.end_item(batch.id, 1, lifecycle.Failed("X", "late"))
    done = wait_for_zip(batch.id)
    assert (done.processed_images, done.failed_images, done.zip_status) == (2, 0, "ready")
    assert [e["name"] for e in executions(batch.id)] == [batch.id]


class RefusingParts:
    """An S3 client whose part uploads fail: finalize gets as far as an open multipart upload."""

    def __init__(self, client):
        self.client = client

    def upload_part(self, **kwargs):
        raise ConnectionError("S3 went away mid-upload")

    def __getattr__(self, name):
        return getattr(self.client, name)


def test_a_failed_finalize_leaves_no_zip_and_a_rerun_builds_it(aws, monkeypatch):
    finalize = functions(TEMPLATE)[TEMPLATE.arn("ZipFinalizeFunction")].load()
    app = sys.modules[finalize.__module__]
    real = app.finalize_zip
    monkeypatch.setattr(app, "finalize_zip", lambda client, *args: real(RefusingParts(client), *args))
    batch, _ = new_batch(3)
    process(batch)
    failed = wait_for_zip(batch.id)
    assert (failed.status, failed.zip_status) == ("completed", "failed")
    assert "S3 went away mid-upload" in failed.zip_error
    assert "Contents" not in client("s3").list_objects_v2(Bucket=BUCKET, Prefix="zips/")  # no ZIP, no parts
    assert open_uploads() == []
    for item in batches.items(batch.id):
        client("s3").head_object(Bucket=BUCKET, Key=item.result_key)  # results intact

    monkeypatch.undo()
    assert zip_workflow.rerun(batch.id)
    assert not zip_workflow.rerun(batch.id)  # already building
    done = wait_for_zip(batch.id)
    assert (done.zip_status, done.zip_error) == ("ready", None)
    archive = zipfile.ZipFile(io.BytesIO(zip_bytes(done)))
    assert archive.testzip() is None and len(archive.namelist()) == 4
    assert len(executions(batch.id)) == 2


def test_the_workflow_state_stays_small_for_500_items(aws):
    """500 results with long names; settled in bulk (settlement is tested item by item above)."""
    batch, items = new_batch(500, names={i: "n" * 200 + f"{i}.jpg" for i in range(500)})
    groups: dict[str, list] = {}
    for item in items:
        item.status = "completed"
        item.result_key = storage.result_key("u1", f"{item.index:03d}", "png", folder=f"batches/{batch.id}")
        item.processed_size = 4 + item.index % 7  # the stored size: the plan lays the ZIP out by it
        storage.put_image(item.result_key, b"\x89PNG" + bytes(item.index % 7), "image/png")
        groups.setdefault(item_group_key(item.index), []).append(item)
    for sk, members in groups.items():
        BatchItemGroup(batch.id, sk, items=members).save()
    batch.update(
        actions=[
            Batch.status.set("completed"),
            Batch.processed_images.set(500),
            Batch.zip_status.set("building"),
        ]
    )
    sfn = boto3.client("stepfunctions", region_name=TEMPLATE.region)
    sfn.start_execution(stateMachineArn=STATE_MACHINE, name=batch.id, input=json.dumps({"batchId": batch.id}))

    done = wait_for_zip(batch.id)
    assert done.zip_status == "ready"
    assert len(zipfile.ZipFile(io.BytesIO(zip_bytes(done))).namelist()) == 501
    history = sfn.get_execution_history(executionArn=executions(batch.id)[0]["executionArn"], maxResults=1000)
    payloads = [
        details.get(field) or ""
        for event in history["events"]
        for details in event.values()
        if isinstance(details, dict)
        for field in ("input", "output", "parameters")
    ]
    assert max(map(len, payloads)) < 16 * 1024  # far under Step Functions' 256 KiB


def test_a_redelivery_starts_the_zip_a_dying_settler_did_not(aws, monkeypatch):
    batch, _ = new_batch(2)
    real_start = zip_workflow.start
    monkeypatch.setattr(zip_workflow, "start", lambda batch: None)  # the worker dies after its commit
    process(batch)
    assert batches.get(batch.id).zip_status == "building" and executions(batch.id) == []
    monkeypatch.setattr(zip_workflow, "start", real_start)
    assert not settlement.start_item(batch.id, 1)  # the message comes back: the item is settled
    assert wait_for_zip(batch.id).zip_status == "ready"


def test_a_batch_whose_items_all_failed_builds_no_zip(aws):
    batch, _ = new_batch(2)
    process(batch, corrupt=frozenset({0, 1}))
    assert (batches.get(batch.id).status, executions(batch.id)) == ("failed", [])
