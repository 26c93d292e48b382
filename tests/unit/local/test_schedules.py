"""The template's Schedule events, as the local runtime runs them."""

from bgr_local.schedules import scheduled_event, schedules
from harness import TEMPLATE


def test_the_upload_deadline_sweeper_is_scheduled_every_minute():
    (sweeper,) = schedules(TEMPLATE)
    assert (sweeper.function, sweeper.rule, sweeper.expression) == (
        "UploadDeadlineFunction",
        "Sweep",
        "rate(1 minute)",
    )
    event = scheduled_event(sweeper, TEMPLATE.region)
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"][0].endswith(":rule/UploadDeadlineFunctionSweep")


def test_the_pending_upload_indexes_are_sparse_and_keyed_by_deadline():
    for table in ("JobsTable", "BatchesTable"):
        props = TEMPLATE.resources[table]["Properties"]
        (index,) = [i for i in props["GlobalSecondaryIndexes"] if i["IndexName"] == "pendingUploads"]
        assert [k["AttributeName"] for k in index["KeySchema"]] == ["uploadShard", "uploadDeadline"]
        assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
