"""The batch ZIP built in moto S3 the way the workflow builds it: plan (and the upload), segments in
parallel, each uploading its own parts, finalize."""

import base64
import io
import json
import random
import shutil
import subprocess
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from zipper import abort_zip, finalize_zip, start_zip, write_segment, zip_names
from zipper.plan import MIN_PART_SIZE

BUCKET = "bgr-test"
ZIP_KEY = "zips/b1/batch.zip"
KIB = 1024


@pytest.fixture
def s3(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def store_results(s3, filenames: list[str], sizes: list[int]) -> tuple[list[dict], list[bytes]]:
    """Random (incompressible) results in S3; returns plan_segments' input and the bytes."""
    rng = random.Random(7)
    results, contents = [], []
    for index, (name, size) in enumerate(zip(zip_names(filenames), sizes, strict=True)):
        data = rng.randbytes(size)
        s3.put_object(Bucket=BUCKET, Key=f"results/u1/b1/{index}.png", Body=data)
        results.append({"key": f"results/u1/b1/{index}.png", "size": size, "name": name})
        contents.append(data)
    return results, contents


def write_segments(s3, plan: dict) -> list[dict]:
    """The Map state: one write_segment per planned segment, concurrently; results in order."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda segment: write_segment_of(s3, plan, segment["index"]), plan["segments"]))


def write_segment_of(s3, plan: dict, index: int) -> dict:
    return write_segment(s3, BUCKET, plan, index, f"zips/b1/segments/{index:03d}.json")


def open_uploads(s3) -> list[dict]:
    return s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])


def manifest_for(filenames: list[str], names: list[str]) -> bytes:
    items = [
        {"index": i, "filename": name, "originalFilename": original, "status": "completed", "error": None}
        for i, (original, name) in enumerate(zip(filenames, names, strict=True))
    ]
    return json.dumps({"batchId": "b1", "items": items}).encode()


def download(s3, tmp_path) -> zipfile.ZipFile:
    path = tmp_path / "batch.zip"
    s3.download_file(BUCKET, ZIP_KEY, str(path))
    unzip = shutil.which("unzip")
    assert unzip, "Info-ZIP unzip is needed: apt-get install -y unzip"
    subprocess.run([unzip, "-tq", path], capture_output=True, check=True)
    return zipfile.ZipFile(path)


def members(archive: zipfile.ZipFile) -> list[tuple[str, bytes]]:
    return [(info.filename, archive.read(info)) for info in archive.infolist()]


def test_parallel_segments_make_the_zip_a_sequential_zipfile_build_makes(s3, tmp_path):
    # 12 MiB spans three parts (the middle segment holds only its data), the others straddle
    # part boundaries; what follows the last whole part goes into the closing part
    filenames = ["../../big.webp", "big.png", "Big.PNG"] + [f"photo{i % 20}.jpg" for i in range(25)]
    sizes = [12 * 1024 * KIB, 3 * 1024 * KIB, 2 * 1024 * KIB] + [300 * KIB] * 25
    results, contents = store_results(s3, filenames, sizes)
    names = [result["name"] for result in results]
    manifest = manifest_for(filenames, names)

    plan = start_zip(s3, BUCKET, ZIP_KEY, results, min_segment_size=MIN_PART_SIZE)
    segments = write_segments(s3, plan)
    outcome = finalize_zip(s3, BUCKET, plan, segments, manifest)

    assert len(segments) == 4 and plan["size"] % plan["partSize"]  # 3 whole parts and a rest
    assert all(len(json.dumps(segment)) < 200 for segment in segments)  # the Map result stays small
    archive = download(s3, tmp_path)
    assert archive.testzip() is None
    reference = io.BytesIO()
    with zipfile.ZipFile(reference, "w") as sequential:
        for name, data in [*zip(names, contents, strict=True), ("manifest.json", manifest)]:
            sequential.writestr(name, data)
    assert members(archive) == members(zipfile.ZipFile(reference))
    assert [info.CRC for info in archive.infolist()] == [
        info.CRC for info in zipfile.ZipFile(reference).infolist()
    ]
    assert len(set(names)) == len(names)
    head = s3.head_object(Bucket=BUCKET, Key=ZIP_KEY)
    assert (
        outcome == {"key": ZIP_KEY, "size": head["ContentLength"]}
        and head["ContentType"] == "application/zip"
    )
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="zips/b1/segments/")
    assert open_uploads(s3) == []
    # every part was checked on arrival: the object's checksum is the CRC32 of its parts' CRC32s
    data = s3.get_object(Bucket=BUCKET, Key=ZIP_KEY)["Body"].read()
    part_crcs = b"".join(
        zlib.crc32(data[at : at + plan["partSize"]]).to_bytes(4, "big")
        for at in range(0, len(data), plan["partSize"])
    )
    checksum = s3.head_object(Bucket=BUCKET, Key=ZIP_KEY, ChecksumMode="ENABLED")
    assert (
        checksum["ChecksumCRC32"].split("-")[0]
        == base64.b64encode(zlib.crc32(part_crcs).to_bytes(4, "big")).decode()
    )


def test_one_small_result_makes_one_small_segment(s3, tmp_path):
    results, contents = store_results(s3, ["only.jpg"], [1000])
    plan = start_zip(s3, BUCKET, ZIP_KEY, results)
    segments = write_segments(s3, plan)

    finalize_zip(s3, BUCKET, plan, segments, b'{"items": []}')

    assert len(segments) == 1
    archive = download(s3, tmp_path)
    assert members(archive) == [("only.png", contents[0]), ("manifest.json", b'{"items": []}')]


def test_no_results_make_a_manifest_only_zip(s3, tmp_path):
    plan = start_zip(s3, BUCKET, ZIP_KEY, [])
    finalize_zip(s3, BUCKET, plan, write_segments(s3, plan), b"{}")

    assert members(download(s3, tmp_path)) == [("manifest.json", b"{}")]


def test_a_failed_segment_leaves_no_zip_and_abort_removes_the_upload(s3):
    results, _ = store_results(s3, [f"{i}.jpg" for i in range(20)], [600 * KIB] * 20)
    plan = start_zip(s3, BUCKET, ZIP_KEY, results)
    s3.delete_object(Bucket=BUCKET, Key=results[15]["key"])

    with pytest.raises(ClientError):
        write_segments(s3, plan)

    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=ZIP_KEY)
    assert [upload["Key"] for upload in open_uploads(s3)] == [ZIP_KEY]  # open for the retry
    abort_zip(s3, BUCKET, plan)  # the workflow's failure path
    abort_zip(s3, BUCKET, plan)  # again: an upload already gone is no error
    assert open_uploads(s3) == []
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=ZIP_KEY)


def test_a_result_that_changed_after_planning_is_refused(s3):
    results, _ = store_results(s3, ["a.jpg", "b.jpg"], [3000, 4000])
    plan = start_zip(s3, BUCKET, ZIP_KEY, results)
    s3.put_object(Bucket=BUCKET, Key=results[1]["key"], Body=b"shorter")

    with pytest.raises(ValueError, match="the plan says 4000"):
        write_segment_of(s3, plan, 0)


def test_a_failed_finalize_leaves_no_zip_and_its_retry_completes_it(s3, tmp_path):
    results, contents = store_results(s3, [f"{i}.jpg" for i in range(20)], [600 * KIB] * 20)
    plan = start_zip(s3, BUCKET, ZIP_KEY, results)
    segments = write_segments(s3, plan)
    s3.delete_object(Bucket=BUCKET, Key=segments[0]["metadataKey"])

    with pytest.raises(ClientError):
        finalize_zip(s3, BUCKET, plan, segments, b"{}")

    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=ZIP_KEY)
    # the segment written again replaces its parts; finalize then completes the same upload
    segments[0] = write_segment_of(s3, plan, 0)
    finalize_zip(s3, BUCKET, plan, segments, b"{}")
    archive = download(s3, tmp_path)
    assert [data for _, data in members(archive)] == [*contents, b"{}"]
    assert open_uploads(s3) == []


def test_a_missing_segment_is_refused_before_anything_is_completed(s3):
    results, _ = store_results(s3, [f"{i}.jpg" for i in range(20)], [600 * KIB] * 20)
    plan = start_zip(s3, BUCKET, ZIP_KEY, results)
    segments = write_segments(s3, plan)

    with pytest.raises(ValueError, match="segments"):
        finalize_zip(s3, BUCKET, plan, segments[:-1], b"{}")
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=ZIP_KEY)
