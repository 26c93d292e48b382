"""A batch's money and images in the metrics: charged once up front, and each item a cancel
fails counted by tier, outcome and code, with its share refunded."""

import emf

from money import fund


def test_a_cancelled_batch_counts_each_unstarted_item_failed_and_refunded(api, monkeypatch, capsys):
    fund("user-1", 30)
    published = emf.capture(monkeypatch, capsys)
    batch_id = api("batch-create").body["batch"]["id"]
    assert emf.named(published(), "CreditsCharged") == [({}, 24)]  # 3 standard images
    assert api("batch-cancel", path={"batchId": batch_id}).status == 200
    assert api("batch-cancel", path={"batchId": batch_id}).status == 200  # again: nothing more
    got = published()
    assert emf.named(got, "ImagesProcessed") == [({"tier": "standard", "outcome": "failed"}, 1)] * 3
    assert emf.named(got, "JobFailures") == [({"code": "CANCELLED"}, 1)] * 3
    assert emf.named(got, "CreditsRefunded") == [({}, 24)]  # once the batch settles: nothing arrived
    assert emf.named(got, "CreditsCharged") == []
