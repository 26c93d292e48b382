"""Batch ZIP: the zipper (plan, segments through a thread pool like the Map, finalize) against the
in-memory anchor (zipfile into a BytesIO, then one upload), on 100 and 500 results of ~2 MB.

Memory is measured honestly: S3 is a ThreadedMotoServer in this (coordinating) process, which
holds every object; each side runs in a worker subprocess of its own that talks to it over HTTP,
so a worker's peak RSS (VmHWM, Linux) is its own work only: Python, boto3 and one S3 client (the
baseline, reported too) plus what the side holds. The zipper adds about one 5 MiB part buffer per
concurrent segment writer; in AWS each Map iteration is a Lambda of its own, with one writer.
Both sides read the same results from S3 and leave the ZIP in S3; the anchor reads them one after
another, the zipper with SEGMENT_WORKERS threads.

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


def _zipper(s3, count: int) -> None:
    from zipper import finalize_zip, plan_segments, write_segment

    results, manifest = _results(s3, count)
    prefix = f"zips/bench-{count}"
    with ThreadPoolExecutor(SEGMENT_WORKERS) as pool:
        segments = list(
            pool.map(
                lambda s: write_segment(s3, BUCKET, f"{prefix}/segments/{s['index']}", s["entries"]),
                plan_segments(results),
            )
        )
    finalize_zip(s3, BUCKET, f"{prefix}/batch.zip", segments, manifest)


def _in_memory(s3, count: int) -> None:
    results, manifest = _results(s3, count)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for result in results:
            archive.writestr(result["name"], s3.get_object(Bucket=BUCKET, Key=result["key"])["Body"].read())
        archive.writestr("manifest.json", manifest)
    buffer.seek(0)
    s3.upload_fileobj(buffer, BUCKET, f"zips/bench-{count}/in-memory.zip")


def _worker(side: str, count: int) -> None:
    """Runs in a subprocess: one side, one batch size; prints its figures as JSON."""
    import boto3

    s3 = boto3.client("s3")
    baseline = _peak_rss_mb()
    start = time.perf_counter()
    {"zipper": _zipper, "in-memory": _in_memory}[side](s3, count)
    wall = time.perf_counter() - start
    print(json.dumps({"wall_s": wall, "peak_rss_mb": _peak_rss_mb(), "baseline_rss_mb": baseline}))


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
