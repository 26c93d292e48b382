"""Credits metrics: every balance change credits.apply commits is counted once, by its reason,
with its amount; a change refused or repeated counts nothing."""

import emf
import pytest

import money
from bgr_core.money import credits
from bgr_core.platform.errors import InsufficientCredits
from bgr_core.work import jobs, lifecycle
from bgr_core.work.output_options import OutputOptions
from harness import TEMPLATE

ENVIRONMENT = TEMPLATE.environment("UploadFunction")


def test_a_grant_a_charge_and_a_refund_are_each_counted_once(aws, monkeypatch, capsys):
    published = emf.capture(monkeypatch, capsys)
    credits.grant("u1", 20, admin_id="admin", reason="welcome")
    job = jobs.create("u1", "standard", "p.jpg", options=OutputOptions())
    assert lifecycle.end_job(job, lifecycle.Failed("NOT_AN_IMAGE", "not an image"))
    assert not lifecycle.end_job(
        job, lifecycle.Failed("NOT_AN_IMAGE", "not an image")
    )  # settled: no second refund, no metric
    got = published()
    assert [(m.name, m.value, m.unit) for m in got if m.name.startswith("Credits")] == [
        ("CreditsGranted", 20, "Count"),
        ("CreditsCharged", 8, "Count"),
        ("CreditsRefunded", 8, "Count"),
    ]
    assert emf.named(got, "ImagesProcessed") == [({"tier": "standard", "outcome": "failed"}, 1)]
    assert emf.named(got, "JobFailures") == [({"code": "NOT_AN_IMAGE"}, 1)]
    assert {(m.namespace, m.service) for m in got} == {
        (ENVIRONMENT["POWERTOOLS_METRICS_NAMESPACE"], ENVIRONMENT["POWERTOOLS_SERVICE_NAME"])
    }


def test_a_refused_charge_counts_nothing(aws, monkeypatch, capsys):
    published = emf.capture(monkeypatch, capsys)
    with pytest.raises(InsufficientCredits):
        jobs.create("nobody", "basic", "p.jpg", options=OutputOptions())
    assert published() == []


def test_an_image_paid_by_quota_moves_no_credits(aws, monkeypatch, capsys):
    money.subscribe("u2", "starter")
    published = emf.capture(monkeypatch, capsys)
    job = jobs.create("u2", "basic", "p.jpg", options=OutputOptions())
    assert job.pricing_type == "subscription"
    assert lifecycle.end_job(job, lifecycle.Failed("UPLOAD_EXPIRED", "never came"))
    got = published()
    assert [m.name for m in got] == ["ImagesProcessed", "JobFailures"]
    assert emf.named(got, "ImagesProcessed") == [({"tier": "basic", "outcome": "failed"}, 1)]
