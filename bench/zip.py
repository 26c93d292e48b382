"""Batch ZIP: the zipper (plan, segments through a thread pool like the Map, finalize) against the
in-memory anchor (zipfile into a BytesIO, then one upload), on 100 and 500 results of ~2 MB.

Memory is measured honestly: S3 is a ThreadedMotoServer in this (coordinating) process, which
holds every object; each side runs in a worker subprocess of its own that talks to it over HTTP,
so a worker's peak RSS (VmHWM, Linux) is its own work only: Python, boto3 and one S3 client (the
baseline, reported too) plus what the side holds. The zipper adds about one 5 MiB part buffer per
concurrent segment writer; in AWS each Map iteration is a Lambda of its own, with one writer.
Both sides read the same results from S3 and leave the ZIP in S3; the anchor reads them one after
another, the zipper with SEGMENT_WORKERS threads. Both store the entries (ZIP_STORED: the results
are compressed images), and after the runs both archives' central directories are read back and
must list the same members with the same CRCs and sizes.

Standalone: python -m bench.zip
"""

import io
import json
import logging
import os
import random
import socket
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "bench-zip"
BATCH_SIZES = (100, 500)
RESULT_SIZE = 2_000_000
SEGMENT_WORKERS = 2  # each concurrent segment writer holds one 5 MiB part


def _key(index: int) -> str:
    return f"results/bench/{index:04d}.png"


def _peak_rss_mb() -> float:
    # VmHWM, not ru_maxrss: ru_maxrss survives exec, so a worker would report its parent's peak.
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def _results(s3, count: int) -> tuple[list[dict], bytes]:
    """The first `count` results with their names in the ZIP, and the manifest the caller passes in."""
    from zipper import zip_names

    sizes = [s3.head_object(Bucket=BUCKET, Key=_key(i))["ContentLength"] for i in range(count)]
    names = zip_names([f"IMG_{i:04d}.jpg" for i in range(count)])
    items = [
        {"index": i, "filename": name, "status": "completed", "error": None} for i, name in enumerate(names)
    ]
    results = [
        {"key": _key(i), "size": size, "name": name}
        for i, (size, name) in enumerate(zip(sizes, names, strict=True))
    ]
    return results, json.dumps({"items": items}).encode()


def _zipper(s3, count: int) -> str:
    from zipper import finalize_zip, start_zip, write_segment

    results, manifest = _results(s3, count)
    prefix = f"zips/bench-{count}"
    plan = start_zip(s3, BUCKET, f"{prefix}/batch.zip", results)
    with ThreadPoolExecutor(SEGMENT_WORKERS) as pool:
        segments = list(
            pool.map(
                lambda s: write_segment(s3, BUCKET, plan, s["index"], f"{prefix}/segments/{s['index']}.json"),
                plan["segments"],
            )
        )
    return finalize_zip(s3, BUCKET, plan, segments, manifest)["key"]


def _in_memory(s3, count: int) -> str:
    results, manifest = _results(s3, count)
    buffer = io.BytesIO()
    key = f"zips/bench-{count}/in-memory.zip"
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:  # stored, as the zipper
        for result in results:
            archive.writestr(result["name"], s3.get_object(Bucket=BUCKET, Key=result["key"])["Body"].read())
        archive.writestr("manifest.json", manifest)
    buffer.seek(0)
    s3.upload_fileobj(buffer, BUCKET, key)
    return key


class _S3File(io.RawIOBase):
    """A ZIP in S3 as a seekable file of ranged reads: zipfile reads only what it needs."""

    def __init__(self, s3, key: str):
        self.s3, self.key, self.position = s3, key, 0
        self.size = s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.position = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence] + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        end = min(self.position + len(buffer), self.size)
        if end <= self.position:
            return 0
        data = self.s3.get_object(Bucket=BUCKET, Key=self.key, Range=f"bytes={self.position}-{end - 1}")[
            "Body"
        ].read()
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def _members(s3, key: str) -> list[tuple]:
    """Each member's name, CRC, size and compression, from the central directory; reading the first
    and the last result checks their bytes against their CRCs."""
    with zipfile.ZipFile(_S3File(s3, key)) as archive:
        members = archive.infolist()
        for member in (members[0], members[-2]):
            archive.read(member)
        return [(m.filename, m.CRC, m.file_size, m.compress_type) for m in members]


def _worker(side: str, count: int) -> None:
    """Runs in a subprocess: one side, one batch size; prints its figures as JSON."""
    import boto3

    s3 = boto3.client("s3")
    baseline = _peak_rss_mb()
    start = time.perf_counter()
    key = {"zipper": _zipper, "in-memory": _in_memory}[side](s3, count)
    wall = time.perf_counter() - start
    print(
        json.dumps({"wall_s": wall, "peak_rss_mb": _peak_rss_mb(), "baseline_rss_mb": baseline, "key": key})
    )


def _measure(side: str, count: int, env: dict[str, str]) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.zip", side, str(count)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run() -> dict[str, float]:
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the server logs every request
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = os.environ | {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "functions" / "batch_zip")]),
    }
    env.pop("AWS_SESSION_TOKEN", None)
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        s3.create_bucket(Bucket=BUCKET)

        def store(index: int) -> None:  # random, so incompressible, and a little different in size
            data = random.Random(index).randbytes(RESULT_SIZE + index * 997 % 65_536)
            s3.put_object(Bucket=BUCKET, Key=_key(index), Body=data)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(store, range(max(BATCH_SIZES))))
        rows = {(side, n): _measure(side, n, env) for n in BATCH_SIZES for side in ("zipper", "in-memory")}
        for n in BATCH_SIZES:  # an honest comparison: the same archive, both sides storing
            zipper, anchor = (_members(s3, rows[side, n].pop("key")) for side in ("zipper", "in-memory"))
            if zipper != anchor or {member[3] for member in zipper} != {zipfile.ZIP_STORED}:
                raise RuntimeError(f"the zipper's and the anchor's archives of {n} results differ")
    finally:
        server.stop()

    print(f"{'side':<34}{'results':>8}{'wall s':>9}{'peak RSS MB':>13}")
    for (side, n), row in rows.items():
        label = (
            f"zipper ({SEGMENT_WORKERS} segment threads)"
            if side == "zipper"
            else "zipfile in memory (anchor)"
        )
        print(f"{label:<34}{n:>8}{row['wall_s']:>9.2f}{row['peak_rss_mb']:>13.1f}")
    print("both archives hold the same members, CRCs and sizes, all stored (ZIP_STORED)")
    baseline = max(row["baseline_rss_mb"] for row in rows.values())
    print(f"worker baseline (python + boto3 + one S3 client): {baseline:.1f} MB")
    small, large = BATCH_SIZES
    return {
        "zip_peak_rss_mb": rows["zipper", large]["peak_rss_mb"],
        "zip_inmemory_peak_rss_mb": rows["in-memory", large]["peak_rss_mb"],
        "zip_wall_s": rows["zipper", large]["wall_s"],
        "zip_inmemory_wall_s": rows["in-memory", large]["wall_s"],
        f"zip_peak_rss_mb_{small}": rows["zipper", small]["peak_rss_mb"],
        f"zip_inmemory_peak_rss_mb_{small}": rows["in-memory", small]["peak_rss_mb"],
        f"zip_wall_s_{small}": rows["zipper", small]["wall_s"],
        f"zip_inmemory_wall_s_{small}": rows["in-memory", small]["wall_s"],
        "zip_worker_baseline_rss_mb": baseline,
    }


if __name__ == "__main__":
    if len(sys.argv) == 3:
        _worker(sys.argv[1], int(sys.argv[2]))
    else:
        print(json.dumps(run(), indent=2))
