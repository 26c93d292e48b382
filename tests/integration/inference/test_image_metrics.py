"""What the inference pipeline publishes: an image processed counts once by tier and outcome,
and each record's time in its queue."""

import emf
import pytest

from bgr_core.platform import observability
from bgr_core.work import jobs
from bgr_core.work.output_options import OutputOptions
from harness import TEMPLATE
from money import fund
from queues import receive


@pytest.mark.slow  # real u2netp
def test_a_processed_job_counts_by_tier_and_outcome_and_its_queue_age(
    inference, photo_jpeg, monkeypatch, capsys
):
    fund("u1")
    job = jobs.create("u1", "basic", "photo.jpg", options=OutputOptions())
    inference.put(job.original_key, photo_jpeg)
    (message,) = receive("IngestQueue")
    sent_ms = int(message["Attributes"]["SentTimestamp"])
    monkeypatch.setattr(observability, "clock", lambda: (sent_ms + 1500) / 1000)
    published = emf.capture(monkeypatch, capsys)
    assert inference.invoke([message]) == {"batchItemFailures": []}
    assert inference.invoke([message]) == {"batchItemFailures": []}  # redelivered: processed once
    got = published()
    assert emf.named(got, "ImagesProcessed") == [({"tier": "basic", "outcome": "completed"}, 1)]
    assert emf.named(got, "JobFailures") == []
    # the record reaches inference from the light queue (the router forwards it there)
    assert emf.named(got, "QueueAge") == [({"queue": TEMPLATE.name("LightInferenceQueue")}, 1500)] * 2


def test_a_failed_job_counts_its_failure_code(inference, monkeypatch, capsys):
    fund("u1")
    job = jobs.create("u1", "professional", "photo.jpg", options=OutputOptions())
    inference.put(job.original_key, b"not an image at all")
    published = emf.capture(monkeypatch, capsys)
    inference.run()
    got = published()
    assert emf.named(got, "ImagesProcessed") == [({"tier": "professional", "outcome": "failed"}, 1)]
    assert emf.named(got, "JobFailures") == [({"code": "NOT_AN_IMAGE"}, 1)]
    assert emf.named(got, "CreditsRefunded") == [({}, 15)]


def test_a_drop_that_cannot_be_paid_counts_failed_and_moves_no_credits(
    inference, photo_jpeg, monkeypatch, capsys
):
    inference.put("drop/u2/basic/a.png", photo_jpeg)
    published = emf.capture(monkeypatch, capsys)
    inference.run()
    got = published()
    assert emf.named(got, "ImagesProcessed") == [({"tier": "basic", "outcome": "failed"}, 1)]
    assert emf.named(got, "JobFailures") == [({"code": "INSUFFICIENT_CREDITS"}, 1)]
    assert [m for m in got if m.name.startswith("Credits")] == []
