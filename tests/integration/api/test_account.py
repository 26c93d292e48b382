import boto3

from harness import TEMPLATE


def test_a_new_user_sees_empty_state(api):
    assert api("subscription-get").body == {"subscription": None}
    jobs = api("jobs")
    assert jobs.status == 200 and jobs.body == {"jobs": [], "nextCursor": None}
    stats = api("stats").body["stats"]
    assert stats["totalSingleRemovals"] == 0 and stats["totalBatches"] == 0
    assert stats["hasSubscription"] is False and stats["plan"] is None
    assert api("balance").body == {"balance": 0}


def test_a_deleted_table_answers_503_naming_it_to_admins_only(api):
    boto3.client("dynamodb").delete_table(TableName=TEMPLATE.name("JobsTable"))
    reply = api("jobs")
    assert reply.status == 503 and reply.error == "TABLE_MISSING"
    assert TEMPLATE.name("JobsTable") not in reply.raw["body"]
    assert api("admin-health").body["missing"] == [f"table:{TEMPLATE.name('JobsTable')}"]
