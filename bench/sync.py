"""Synchronous results: one 1 MP JPEG (scikit-image's astronaut, 1000×1000) through the local
runtime over HTTP, end to end, against the pipeline's own time for the same request (the job's
processingTime: decode, segment, refine, encode).

- direct, removebg: POST /v1.0/removebg (X-Api-Key), the PNG in the response;
- direct, remove?wait: POST /api/background-remover/remove?wait=25 (multipart), the finished job;
  both cut out by a direct invoke of the inference function;
- queue: the same multipart POST without ?wait, then the job polled every POLL_S (in its table, so
  that polls do not count against the rate limit) until completed (S3 event -> SQS -> worker).

Each path: a warm-up, then REPEATS requests; p50 of each. overhead = end-to-end p50 - pipeline p50.
The machine is shared, so compare figures of one run with each other, not across runs.

Standalone: python -m bench.sync
"""

import io
import statistics
import time

REPEATS = 9
POLL_S = 0.02
BGR = "/api/background-remover"


def _jpeg() -> bytes:
    from PIL import Image
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((1000, 1000)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _measure(name: str, send, pipeline_ms) -> dict[str, float]:
    send()  # warm-up
    totals, pipelines = [], []
    for _ in range(REPEATS):
        started = time.perf_counter()
        job_id = send()
        totals.append(time.perf_counter() - started)
        pipelines.append(pipeline_ms(job_id) / 1000)
    total, pipeline = statistics.median(totals), statistics.median(pipelines)
    print(
        f"  {name:<22} end to end p50 {total:6.3f} s   pipeline p50 {pipeline:6.3f} s   "
        f"overhead {1000 * (total - pipeline):6.0f} ms",
        flush=True,
    )
    return {
        f"sync_{name}_p50_s": round(total, 4),
        f"sync_{name}_pipeline_p50_s": round(pipeline, 4),
        f"sync_{name}_overhead_ms": round(1000 * (total - pipeline), 1),
    }


def run() -> dict[str, float]:
    import requests

    from bgr_local import tokens
    from bgr_local.runtime import LocalRuntime

    jpeg = _jpeg()
    with LocalRuntime(api_port=0, s3_port=0, log_level="WARNING") as runtime:
        api, secret = runtime.api.url, tokens.local_secret()
        admin = {"Authorization": f"Bearer {tokens.sign('bench-admin', ('admin',), secret=secret)}"}
        user = {"Authorization": f"Bearer {tokens.sign('bench', secret=secret)}"}
        requests.post(
            f"{api}/api/admin/users/bench/credits",
            json={"amount": 10_000, "reason": "bench"},
            headers=admin,
            timeout=60,
        ).raise_for_status()
        key = requests.post(f"{api}/api/keys", json={"name": "bench"}, headers=user, timeout=60).json()["key"]
        session = requests.Session()
        from bgr_core.work import jobs  # after the runtime pointed this process at its moto

        def latest_job_ms(_) -> float:
            return jobs.list_for_user("bench", 1)[0][0].processing_time

        def job_ms(job_id: str) -> float:
            return jobs.get(job_id).processing_time

        def removebg() -> None:
            reply = session.post(
                f"{api}/v1.0/removebg",
                files={"image_file": ("astronaut.jpg", jpeg, "image/jpeg")},
                data={"size": "full"},
                headers={"X-Api-Key": key},
            )
            reply.raise_for_status()

        def upload(wait: bool) -> str:
            reply = session.post(
                f"{api}{BGR}/remove",
                params={"wait": "25"} if wait else None,
                files={"image": ("astronaut.jpg", jpeg, "image/jpeg")},
                data={"tier": "basic"},
                headers=user,
            )
            reply.raise_for_status()
            return reply.json()["job"]["id"]

        def queued() -> str:  # polled in the table itself: no poll counts against the rate limit
            job_id = upload(wait=False)
            while jobs.get(job_id).status not in ("completed", "failed"):
                time.sleep(POLL_S)
            return job_id

        figures = {}
        figures.update(_measure("removebg", removebg, latest_job_ms))
        figures.update(_measure("remove_wait", lambda: upload(wait=True), job_ms))
        figures.update(_measure("queue", queued, job_ms))
    return figures


if __name__ == "__main__":
    run()
