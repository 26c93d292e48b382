import base64
import json

import boto3
import pytest

from harness import TEMPLATE
from money import fund


def test_health_is_healthy_with_every_resource(api):
    assert api("health").raw["body"] == '{"status":"healthy"}'
    reply = api("admin-health")
    assert reply.status == 200, reply.body["missing"]
    body = reply.body
    assert body["status"] == "healthy" and body["missing"] == []
    assert all(body["tables"].values())
    assert len(body["tables"]) == len(TEMPLATE.of_type("AWS::DynamoDB::Table"))
    assert body["features"] == {
        "batch": True,
        "subscriptions": True,
        "integrations": True,
        "dropFolder": True,
        "payments": False,  # no Stripe secrets named in this stack
    }
    assert body["models"]["basic"]["runs"] == "u2netp"


def test_public_health_answers_its_status_alone_and_admins_see_what_is_missing(api):
    boto3.client("dynamodb").delete_table(TableName=TEMPLATE.name("UsageTable"))
    public = api("health")
    assert public.status == 503 and public.body == {"status": "degraded"}
    reply = api("admin-health")
    assert reply.status == 503 and reply.body["status"] == "degraded"
    assert reply.body["missing"] == [f"table:{TEMPLATE.name('UsageTable')}"]
    assert api("admin-health", groups=[]).status == 403  # a user who is no admin
    assert api("admin-health", user=None).status == 401


def test_public_health_checks_at_most_every_30_s(api, monkeypatch):
    from bgr_core.api import health

    now = [0.0]
    monkeypatch.setattr(health, "clock", lambda: now[0])
    assert api("health").status == 200
    boto3.client("dynamodb").delete_table(TableName=TEMPLATE.name("UsageTable"))
    now[0] = health.CHECK_EVERY_S - 1
    assert api("health").status == 200  # as last checked: asking again makes no AWS calls
    now[0] = health.CHECK_EVERY_S
    assert api("health").status == 503


def test_missing_tables_answer_503_never_500(api):
    fund("user-1", 10)
    boto3.client("dynamodb").delete_table(TableName=TEMPLATE.name("SubscriptionsTable"))
    for name in ("subscription-get", "stats", "remove-json", "quote"):
        reply = api(name, user="user-1")  # the quote reads subscriptions only for a known caller
        assert reply.status == 503 and reply.error == "TABLE_MISSING", name
        assert TEMPLATE.name("SubscriptionsTable") not in reply.raw["body"]


def test_rate_limit_answers_429_with_retry_after_until_the_next_minute(api, settings_env, monkeypatch):
    from bgr_core.api import ratelimit

    minute = 1_800_000_000 // 60 * 60
    monkeypatch.setattr(ratelimit, "clock", lambda: minute + 45.5)  # 14.5 s before the next window
    settings_env(RATE_LIMIT_PER_MINUTE="3")
    replies = [api("balance") for _ in range(4)]
    assert [r.status for r in replies] == [200, 200, 200, 429]
    assert [r.headers["x-ratelimit-remaining"] for r in replies[:3]] == ["2", "1", "0"]
    assert {r.headers["x-ratelimit-reset"] for r in replies} == {str(minute + 60)}
    assert replies[3].error == "RATE_LIMITED" and replies[3].headers["retry-after"] == "15"
    assert api("balance", user="another-user").status == 200

    monkeypatch.setattr(ratelimit, "clock", lambda: minute + 60.0)  # the next window
    reply = api("balance")
    assert reply.status == 200 and reply.headers["x-ratelimit-remaining"] == "2"


def test_unexpected_errors_are_500_with_a_request_id_and_no_trace(api, monkeypatch):
    from bgr_core.money import credits

    def broken(user_id):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(credits, "balance", broken)
    reply = api("balance")
    assert reply.status == 500 and reply.error == "INTERNAL_ERROR"
    assert reply.body["error"]["requestId"] == "sample-balance"
    assert "secret" not in reply.raw["body"] and "Traceback" not in reply.raw["body"]


def test_unknown_job_or_cursor(api):
    assert api("job").status == 404
    assert api("jobs", query={"cursor": "not-a-cursor!"}).status == 400


def test_openapi_covers_every_route_of_the_template(api):
    document = json.loads(api("openapi").raw["body"])
    served = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert set(api.routes) <= served, set(api.routes) - served
    assert document["openapi"].startswith("3.")
    docs = api("docs")
    assert docs.status == 200 and docs.headers["content-type"] == "text/html"
    assert "swagger" in docs.raw["body"].lower()


def _cursor(start) -> str:
    return base64.urlsafe_b64encode(json.dumps(start).encode()).decode()


@pytest.mark.parametrize(
    "start",
    [
        "a string",
        {"userId": {"S": "user-1"}, "id": 5},
        {"userId": {"S": "user-1"}, "createdAt": {"S": "2026"}, "id": {"S": "j"}, "extra": {"S": "x"}},
        {"userId": {"S": "user-1"}, "createdAt": {"S": "2026"}, "id": {"M": {}}},
        {"userId": {"S": "someone-else"}, "createdAt": {"S": "2026"}, "id": {"S": "j"}},
        # the caller's own key, its values of the wrong types
        {"userId": {"S": "user-1"}, "createdAt": {"N": "5"}, "id": {"S": "j"}},
        {"userId": {"S": "user-1"}, "createdAt": {"S": "2026"}, "id": {"N": "7"}},
        {"userId": {"S": "user-1"}, "createdAt": {"S": "2026"}, "id": {"S": 7}},
        {"userId": {"S": "user-1"}, "createdAt": {"S": "2026"}, "id": {"S": ""}},
        {"userId": {"S": "user-1"}, "createdAt": {"S": "2026"}, "id": {"S": "j", "N": "1"}},
        {"userId": {"S": "user-1"}, "createdAt": {"B": "AAAA"}, "id": {"S": "j"}},
    ],
    ids=[
        "not an object",
        "bare value",
        "unknown key",
        "map value",
        "another user's",
        "number for a string key",
        "number for the id",
        "string key holding a number",
        "empty string",
        "two types",
        "binary",
    ],
)
def test_a_hand_made_page_cursor_is_a_400(api, start):
    for name in ("jobs", "batches"):
        if name == "batches" and isinstance(start, dict) and "createdAt" in start:
            start = {**start, "sk": {"S": "BATCH"}}  # the batches table's range key
        reply = api(name, user="user-1", query={"cursor": _cursor(start)})
        assert reply.status == 400 and reply.error == "BAD_REQUEST", (name, reply.raw)


def test_a_cursor_the_api_gave_pages_on(api):
    fund("user-1")
    for _ in range(3):
        assert api("remove-json", user="user-1").status == 201
    first = api("jobs", user="user-1", query={"limit": "2"})
    second = api("jobs", user="user-1", query={"limit": "2", "cursor": first.body["nextCursor"]})
    assert second.status == 200 and len(first.body["jobs"]) == 2 and len(second.body["jobs"]) == 1


@pytest.mark.parametrize(
    ("name", "parameter"),
    [
        ("job", "jobId"),
        ("batch", "batchId"),
        ("batch-items", "batchId"),
        ("admin-grant", "userId"),
        ("admin-ledger", "userId"),
        ("batch-integration", "app"),
    ],
)
def test_an_over_long_path_parameter_is_a_4xx(api, name, parameter):
    reply = api(name, path={parameter: "u" * 3000})
    assert 400 <= reply.status < 500 and "error" in reply.body, reply.raw


def test_a_missing_table_on_the_removebg_routes_is_a_503_in_their_shape(api):
    fund("user-1", 10)
    boto3.client("dynamodb").delete_table(TableName=TEMPLATE.name("RateLimitsTable"))
    event = api.event("balance", user=None)
    event.update(httpMethod="GET", resource="/v1.0/account", path="/v1.0/account")
    event["requestContext"]["authorizer"] = {"userId": "user-1", "keyId": "k1"}
    reply = api.send(event)
    assert reply.status == 503, reply.body
    error = reply.body["errors"][0]
    assert error["code"] == "table_missing" and TEMPLATE.name("RateLimitsTable") not in reply.raw["body"]
