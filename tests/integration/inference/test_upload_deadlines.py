"""Uploads that never come, or come late: the scheduled sweeper and the inference worker
against moto, with time moved by the sweeper's `now` and the deadlines' clock, never slept through."""

import json
import threading
from datetime import timedelta

import pytest

import money
from bgr_core.api.removals import create_presigned
from bgr_core.api.requests import UploadRequest
from bgr_core.money import credits, subscriptions
from bgr_core.platform.models import Job, LedgerEntry, utcnow
from bgr_core.work import jobs, upload_deadlines, upload_sweep
from bgr_core.work.output_options import OutputOptions
from bgr_local.context import LambdaContext
from harness import ROOT
from money import fund
from queues import receive, sqs_event

LATER = timedelta(hours=1)  # well past the 900 s form and its 120 s grace


def new_job(user="u1", tier="basic"):
    return jobs.create(user, tier, "photo.jpg", options=OutputOptions())


def entries(user="u1") -> list[tuple]:
    return [(e.seq, e.delta, e.reason, e.reference) for e in LedgerEntry.query(user)]


def refunds(user="u1") -> list[LedgerEntry]:
    return [e for e in LedgerEntry.query(user) if e.reason == "refund"]


def pending_index() -> list[str]:
    return [k.id for s in range(upload_deadlines.SHARDS) for k in Job.pending_uploads.query(str(s))]


def created_before_now(monkeypatch, ago: timedelta = LATER):
    """The deadlines' clock as it was `ago`: what is created now got its form then."""
    monkeypatch.setattr(upload_deadlines, "clock", lambda: utcnow() - ago)


def test_a_job_whose_upload_never_comes_is_failed_and_refunded_once(inference):
    fund("u1")
    job = new_job()
    assert credits.balance("u1") == 97 and pending_index() == [job.id]
    assert upload_sweep.sweep().jobs_expired == 0  # before its deadline nothing happens
    assert Job.get(job.id).status == "pending"
    for _ in range(2):  # a second run (or a redelivered schedule) changes nothing
        upload_sweep.sweep(utcnow() + LATER)
    failed = Job.get(job.id)
    assert (failed.status, failed.error_code) == ("failed", "UPLOAD_EXPIRED")
    assert credits.balance("u1") == 100
    assert [(e.delta, e.reference) for e in refunds()] == [(3, f"job:{job.id}")]
    assert pending_index() == []  # the sparse index holds only what still waits


def test_an_upload_after_the_sweep_changes_nothing(inference, photo_jpeg):
    fund("u1")
    job = new_job()
    upload_sweep.sweep(utcnow() + LATER)
    ledger_before = entries()
    inference.put(job.original_key, photo_jpeg)
    assert inference.run() == {"batchItemFailures": []}
    assert Job.get(job.id).error_code == "UPLOAD_EXPIRED"
    assert inference.keys("results/") == [] and inference.keys("thumbs/") == []
    assert entries() == ledger_before and credits.balance("u1") == 100


def test_the_worker_refuses_an_original_that_came_after_its_deadline(inference, photo_jpeg, monkeypatch):
    fund("u1")
    created_before_now(monkeypatch)
    job = new_job()
    inference.put(job.original_key, photo_jpeg)  # an hour after its form was given
    assert inference.run() == {"batchItemFailures": []}
    failed = Job.get(job.id)
    assert (failed.status, failed.error_code, failed.model_name) == ("failed", "UPLOAD_EXPIRED", None)
    assert inference.keys("uploads/") == [] and inference.keys("results/") == []  # the late file is gone
    assert credits.balance("u1") == 100 and len(refunds()) == 1
    assert upload_sweep.sweep(utcnow() + LATER).jobs_expired == 0 and len(refunds()) == 1


@pytest.mark.slow
def test_an_upload_that_came_in_time_waits_for_the_worker(inference, photo_jpeg):
    fund("u1")
    job = new_job()
    inference.put(job.original_key, photo_jpeg)  # queued, not processed yet (a backlog)
    report = upload_sweep.sweep(utcnow() + LATER)
    assert (report.jobs_expired, report.waiting) == (0, 1) and Job.get(job.id).status == "pending"
    inference.run()
    assert Job.get(job.id).status == "completed" and credits.balance("u1") == 97
    assert pending_index() == []  # starting it took it out of the index
    assert upload_sweep.sweep(utcnow() + LATER).waiting == 0


def test_expiry_gives_quota_back_to_its_day_and_credits_to_the_balance(inference):
    sub = money.subscribe("u1", "starter")
    fund("u1")
    covered, paid = new_job(tier="basic"), new_job(tier="industry")  # industry is never covered
    assert (covered.pricing_type, paid.pricing_type) == ("subscription", "credit")
    day = subscriptions.today()
    assert subscriptions.quota_use(sub, day).used_total == 1 and credits.balance("u1") == 75
    assert upload_sweep.sweep(utcnow() + LATER).jobs_expired == 2
    assert subscriptions.quota_use(sub, day).used_total == 0
    assert credits.balance("u1") == 100 and [e.delta for e in refunds()] == [25]


def test_presigned_form_carries_the_deadline(aws):
    fund("u1")
    request = UploadRequest(tier="basic", filename="a.jpg", content_type="image/jpeg", size_bytes=10)
    job, form = create_presigned("u1", request)
    assert form["expiresAt"] == job.upload_deadline.isoformat()
    ttl = (job.upload_deadline - utcnow()).total_seconds()
    assert 890 < ttl <= 900  # UploadExpirySeconds in template.yaml


@pytest.mark.parametrize("run", range(3))
def test_sweeper_and_a_late_upload_race_and_refund_once(inference, photo_jpeg, monkeypatch, run):
    fund("u1", 1000)
    created_before_now(monkeypatch)
    made = [new_job() for _ in range(6)]
    for job in made:
        inference.put(job.original_key, photo_jpeg)
    messages = receive("IngestQueue")
    start = threading.Barrier(3)

    def sweeper():
        start.wait()
        upload_sweep.sweep(utcnow())

    def worker(batch):
        start.wait()
        inference.module.handler(
            sqs_event(batch, "LightInferenceQueue"), LambdaContext("LightInferenceFunction")
        )

    threads = [
        threading.Thread(target=sweeper),
        threading.Thread(target=worker, args=(messages[::2],)),
        threading.Thread(target=worker, args=(messages[1::2],)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {Job.get(j.id).error_code for j in made} == {"UPLOAD_EXPIRED"}
    assert sorted(e.reference for e in refunds()) == sorted(f"job:{j.id}" for j in made)
    assert credits.balance("u1") == 1000 and inference.keys("results/") == []


def test_a_drop_outside_a_tier_folder_is_a_failed_job_with_a_clear_code(inference, photo_jpeg):
    fund("u1")
    inference.put("drop/u1/holiday.jpg", photo_jpeg)
    assert inference.run() == {"batchItemFailures": []}
    (job,) = Job.by_user.query("u1")
    assert (job.source, job.status, job.error_code, job.credits_used) == ("drop", "failed", "TIER_MISSING", 0)
    assert "drop/u1/<tier>/holiday.jpg" in job.error_message
    assert credits.balance("u1") == 100 and inference.keys("results/") == []
    inference.put("drop/u1/holiday.jpg", photo_jpeg)  # the same file again: the same refusal
    inference.run()
    assert [j.id for j in Job.by_user.query("u1")] == [job.id]


def test_the_scheduled_function_sweeps(inference, monkeypatch):
    from functions.upload_deadlines import app

    fund("u1")
    job = new_job()
    event = json.loads((ROOT / "events" / "schedule.json").read_text())
    context = LambdaContext("UploadDeadlineFunction")
    assert app.handler(event, context) == {"jobsExpired": 0, "itemsExpired": 0, "waiting": 0}
    monkeypatch.setattr(upload_deadlines, "clock", lambda: utcnow() + LATER)  # an hour on
    assert app.handler(event, context) == {"jobsExpired": 1, "itemsExpired": 0, "waiting": 0}
    assert Job.get(job.id).error_code == "UPLOAD_EXPIRED" and credits.balance("u1") == 100
