"""The caller's deadline travels with a direct invoke (dispatch.sync_inference): a cutout that ends after
it writes no result, and the job is refunded exactly once, whichever of the caller (giving up)
and the function (finding the deadline passed) ends it first. Time moves by the injectable
clock (bgr_core.work.upload_deadlines.clock), never by sleeping; the real handler runs in this process."""

import json
from datetime import timedelta

import pytest

from bgr_core.dispatch import sync_inference
from bgr_core.money import credits
from bgr_core.platform import storage
from bgr_core.platform.models import Job, LedgerEntry, utcnow
from bgr_core.work import jobs, lifecycle, upload_deadlines
from bgr_core.work.output_options import OutputOptions
from bgr_local.context import LambdaContext
from bgr_local.functions import bind_to_lambda
from cutout import pipeline
from harness import TEMPLATE
from money import fund


@pytest.fixture
def clock(monkeypatch):
    now = [utcnow()]
    monkeypatch.setattr(upload_deadlines, "clock", lambda: now[0])
    return now


@pytest.fixture
def invoked(inference):
    """Lambda Invoke of the inference functions runs the real handler here (with the clock)."""

    def invoke(logical: str, payload: bytes) -> bytes:
        return json.dumps(inference.module.handler(json.loads(payload), LambdaContext(logical))).encode()

    with bind_to_lambda(TEMPLATE, invoke):
        yield inference


def slow_cutout(monkeypatch, during):
    """The real cutout, with `during()` happening while it runs (time passing, the caller giving up)."""
    real = pipeline.run

    def run(*args, **kwargs):
        result = real(*args, **kwargs)
        during()
        return result

    monkeypatch.setattr(pipeline, "run", run)


def new_job(data: bytes) -> Job:
    job_id = "j" * 32
    key = storage.direct_key("u1", job_id, "cat.png")
    return jobs.create(
        "u1",
        "basic",
        "cat.png",
        options=OutputOptions(),
        size_bytes=len(data),
        original_key=key,
        job_id=job_id,
    )


def refunds(job: Job) -> list[LedgerEntry]:
    return [e for e in LedgerEntry.query("u1") if e.reason == "refund" and e.reference == f"job:{job.id}"]


def assert_nothing_written_and_refunded_once(invoked, job: Job) -> None:
    assert invoked.keys("results/") == [] and invoked.keys("thumbs/") == []
    stored = Job.get(job.id)
    assert stored.status == "failed" and stored.result_key is None
    assert len(refunds(job)) == 1 and credits.balance("u1") == 10


def test_the_function_finding_the_deadline_passed_writes_nothing_and_refunds(
    invoked, monkeypatch, clock, cat_png
):
    fund("u1", 10)
    job = new_job(cat_png)
    slow_cutout(
        monkeypatch,
        lambda: clock.__setitem__(0, clock[0] + timedelta(seconds=sync_inference.INVOKE_TIMEOUT_S)),
    )
    answer = sync_inference.run(job, cat_png, "image/png")
    assert (answer.status, answer.error_code) == ("failed", "TIMED_OUT")
    assert_nothing_written_and_refunded_once(invoked, job)
    assert Job.get(job.id).error_code == "TIMED_OUT"


@pytest.mark.parametrize("time_passes", [True, False], ids=["past the deadline", "ended meanwhile"])
def test_a_caller_that_gave_up_first_is_the_one_refund_and_nothing_is_written_after_it(
    invoked, monkeypatch, clock, cat_png, time_passes
):
    """The caller's read timeout fired during the cutout and refunded the job (as direct.run does
    when its invoke fails); the function, ending its cutout later, writes nothing that stays."""
    fund("u1", 10)
    job = new_job(cat_png)

    def caller_gives_up():
        if time_passes:
            clock[0] += timedelta(seconds=sync_inference.INVOKE_TIMEOUT_S + 1)
        assert lifecycle.end_job(
            Job.get(job.id), lifecycle.Failed(sync_inference.CutoutFailed.code, sync_inference.NOT_RUN)
        )

    slow_cutout(monkeypatch, caller_gives_up)
    try:
        outcome = sync_inference.run(job, cat_png, "image/png").status  # the function's answer: failed
    except sync_inference.CutoutFailed:  # the function answered that the job had ended without it
        outcome = "refused"
    assert outcome == ("failed" if time_passes else "refused")
    assert_nothing_written_and_refunded_once(invoked, job)
    assert Job.get(job.id).error_code == sync_inference.CutoutFailed.code


def test_an_invoke_past_its_deadline_is_not_started(invoked, clock, cat_png):
    fund("u1", 10)
    job = new_job(cat_png)
    event = {"jobId": job.id, "deadline": (clock[0] - timedelta(seconds=1)).isoformat()}
    answer = invoked.module.handler(event, LambdaContext("LightInferenceFunction"))
    assert answer["status"] == "skipped"
    assert Job.get(job.id).started_at is None
    assert_nothing_written_and_refunded_once(invoked, job)
