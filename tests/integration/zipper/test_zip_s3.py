"""The batch ZIP built in moto S3 the way the workflow builds it: plan, segments in parallel, finalize."""

import io
import json
import random
import shutil
import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from zipper import finalize_zip, plan_segments, write_segment, zip_names

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


def write_segments(s3, results: list[dict]) -> list[dict]:
    """The Map state: one write_segment per planned segment, concurrently; results in order."""
    with ThreadPoolExecutor(8) as pool:
        return list(
            pool.map(
                lambda segment: write_segment(
                    s3, BUCKET, f"zips/b1/segments/{segment['index']}", segment["entries"]
                ),
                plan_segments(results),
            )
        )


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
    # segments: the 6 MiB result (written in two parts), the next two, then 18 and 7 small ones: the
    # last segment is under the minimum part size and goes into the closing part
    filenames = ["../../big.webp", "big.png", "Big.PNG"] + [f"photo{i % 20}.jpg" for i in range(25)]
    sizes = [6 * 1024 * KIB, 3 * 1024 * KIB, 2 * 1024 * KIB] + [300 * KIB] * 25
    results, contents = store_results(s3, filenames, sizes)
    names = [result["name"] for result in results]
    manifest = manifest_for(filenames, names)

    segments = write_segments(s3, results)
    outcome = finalize_zip(s3, BUCKET, ZIP_KEY, segments, manifest)

    assert [segment["size"] >= 5 * 1024 * KIB for segment in segments] == [True, True, True, False]
    assert all(len(json.dumps(segment)) < 200 for segment in segments)  # the Map result stays small
    archive = download(s3, tmp_path)
    assert archive.testzip() is None
    reference = io.BytesIO()
    with zipfile.ZipFile(reference, "w") as sequential:
        for name, data in [*zip(names, contents, strict=True), ("manifest.json", manifest)]:
            sequential.writestr(name, data)
    assert members(archive) == members(zipfile.ZipFile(reference))
    assert len(set(names)) == len(names)
    assert outcome == {"key": ZIP_KEY, "size": s3.head_object(Bucket=BUCKET, Key=ZIP_KEY)["ContentLength"]}
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="zips/b1/segments/")
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=BUCKET)


def test_one_small_result_makes_one_small_segment(s3, tmp_path):
    results, contents = store_results(s3, ["only.jpg"], [1000])
    segments = write_segments(s3, results)

    finalize_zip(s3, BUCKET, ZIP_KEY, segments, b'{"items": []}')

    assert len(segments) == 1
    archive = download(s3, tmp_path)
    assert members(archive) == [("only.png", contents[0]), ("manifest.json", b'{"items": []}')]


def test_a_failed_finalize_leaves_no_zip_and_no_upload(s3):
    results, _ = store_results(s3, [f"{i}.jpg" for i in range(20)], [600 * KIB] * 20)
    segments = write_segments(s3, results)
    s3.delete_object(Bucket=BUCKET, Key=segments[0]["key"])

    with pytest.raises(ClientError):
        finalize_zip(s3, BUCKET, ZIP_KEY, segments, b"{}")

    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=ZIP_KEY)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=BUCKET)
    # the other segments stay, so that the step can be retried once the cause is fixed
    assert s3.head_object(Bucket=BUCKET, Key=segments[1]["key"])
