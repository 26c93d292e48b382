"""The API over HTTP: JSON calls, presigned uploads, waiting for jobs and batches."""

import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from .statuses import BATCH_FINAL, JOB_FINAL, ZIP_OPEN

BGR = "/api/background-remover"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: str | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


def content_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def image_spec(path: Path) -> dict:
    return {"filename": path.name, "contentType": content_type(path), "sizeBytes": path.stat().st_size}


@dataclass
class Client:
    """`poll_s` keeps a waiting client at 30 requests a minute, well inside the API's per-user
    limit; once a batch's items are settled its ZIP takes seconds, and `zip_poll_s` (60 a minute)
    sees it sooner. A 429 is waited out (its Retry-After) and retried, up to `max_wait_429_s` in all."""

    base_url: str
    token: str | None = None
    timeout_s: float = 60
    poll_s: float = 2.0
    zip_poll_s: float = 1.0
    max_wait_429_s: float = 300
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self):
        self.session = requests.Session()
        if self.token:
            self.session.headers["Authorization"] = f"Bearer {self.token}"

    def request(self, method: str, path: str, **kwargs) -> dict:
        waited = 0.0
        while True:
            response = self.session.request(
                method, self.base_url.rstrip("/") + path, timeout=self.timeout_s, **kwargs
            )
            pause = retry_after(response)
            if response.status_code != 429 or waited + pause > self.max_wait_429_s:
                break
            self.sleep(pause)
            waited += pause
        if response.ok:
            return response.json()
        try:
            error = response.json()["error"]
            code, message = error["code"], error["message"]
        except (ValueError, KeyError, TypeError):
            code, message = response.reason or "ERROR", response.text[:200]
        raise ApiError(response.status_code, code, message, response.headers.get("Retry-After"))

    def get(self, path: str, **params) -> dict:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: dict) -> dict:
        return self.request("POST", path, json=body)

    def delete(self, path: str) -> dict:
        return self.request("DELETE", path)

    # -- single images ---------------------------------------------------------------------
    def remove(self, path: Path, tier: str) -> dict:
        """Creates the job, uploads the file to its presigned POST and returns the job."""
        created = self.post(f"{BGR}/remove", {"tier": tier, **image_spec(path)})
        upload(created["upload"], path)
        return created["job"]

    def job(self, job_id: str) -> dict:
        return self.get(f"{BGR}/jobs/{job_id}")["job"]

    def wait_job(self, job_id: str, timeout_s: float = 300) -> dict:
        def ended(job: dict) -> bool:
            return job["status"] in JOB_FINAL

        return _wait(lambda: self.job(job_id), ended, timeout_s, lambda job: self.poll_s)

    # -- batches ---------------------------------------------------------------------------
    def create_batch(self, paths: list[Path], tier: str) -> dict:
        """`{batch, uploads}`: charged up front; every upload still to be sent."""
        return self.post(f"{BGR}/batch", {"tier": tier, "images": [image_spec(p) for p in paths]})

    def batch(self, batch_id: str) -> dict:
        return self.get(f"{BGR}/batch/{batch_id}")["batch"]

    def batch_items(self, batch_id: str) -> list[dict]:
        return self.get(f"{BGR}/batch/{batch_id}/items")["items"]

    def batches(self) -> list[dict]:
        return self.get(f"{BGR}/batches")["batches"]

    def cancel_batch(self, batch_id: str) -> dict:
        return self.delete(f"{BGR}/batch/{batch_id}")["batch"]

    def wait_batch(self, batch_id: str, timeout_s: float = 1800, on_poll: Callable[[dict], None] = print):
        """Until every item is settled and the ZIP workflow (when there is anything to zip) ended."""

        def fetch() -> dict:
            batch = self.batch(batch_id)
            on_poll(batch)
            return batch

        def zipped(batch: dict) -> bool:
            return batch["status"] in BATCH_FINAL and batch.get("zipStatus") not in ZIP_OPEN

        def pause(batch: dict) -> float:
            return min(self.zip_poll_s, self.poll_s) if batch["status"] in BATCH_FINAL else self.poll_s

        return _wait(fetch, zipped, timeout_s, pause)

    # -- account ---------------------------------------------------------------------------
    def quote(self, tier: str, count: int) -> dict:
        return self.post(f"{BGR}/pricing/quote", {"tier": tier, "imageCount": count})["quote"]

    def balance(self) -> int:
        return self.get("/api/credits/balance")["balance"]

    def jobs(self) -> list[dict]:
        return self.get(f"{BGR}/jobs")["jobs"]

    def grant(self, user_id: str, amount: int, reason: str) -> dict:
        return self.post(f"/api/admin/users/{user_id}/credits", {"amount": amount, "reason": reason})


def retry_after(response: requests.Response) -> float:
    """Seconds a 429 asks to wait (at least 1: a limit window just ending may say 0)."""
    try:
        return max(float(response.headers.get("Retry-After", 1)), 1.0)
    except ValueError:
        return 1.0


def upload(presigned: dict, path: Path) -> None:
    """The presigned POST: its fields, then the file (S3 wants `file` last)."""
    with path.open("rb") as f:
        files = {"file": (path.name, f, content_type(path))}
        response = requests.post(presigned["url"], data=presigned["fields"], files=files, timeout=120)
    if not response.ok:
        raise ApiError(response.status_code, "UPLOAD_FAILED", response.text[:300])


def download(url: str, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with requests.get(url, stream=True, timeout=120) as response:
        response.raise_for_status()
        with dest.open("wb") as f:
            for chunk in response.iter_content(1 << 16):
                f.write(chunk)
    return dest


def _wait(
    fetch: Callable[[], dict], done: Callable[[dict], bool], timeout_s: float, pause: Callable[[dict], float]
) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        current = fetch()
        if done(current):
            return current
        if time.monotonic() > deadline:
            raise TimeoutError(f"still {current['status']} after {timeout_s:.0f} s")
        time.sleep(pause(current))
