"""API keys on the template's table (moto): stored hashed, shown once, revoked for good; and the
X-Api-Key authorizer function's answers."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from bgr_core.api.identity import identity_of
from bgr_core.api.views import JobView
from bgr_core.integrations import api_keys
from bgr_core.money import credits
from bgr_core.platform.errors import Conflict, NotFound
from bgr_core.platform.models import ApiKey, LedgerEntry
from bgr_core.work import jobs, lifecycle
from bgr_core.work.output_options import OutputOptions
from bgr_local.context import LambdaContext
from bgr_local.lambdas import functions
from concurrency import on_threads
from harness import TEMPLATE
from money import fund

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_a_key_is_stored_only_as_its_hash(aws):
    record, key = api_keys.create("alice", "ci")
    assert key.startswith("bgr_") and len(key) > 40 and key.startswith(record.prefix)
    stored = [item.attribute_values for item in ApiKey.scan()]
    assert key not in str(stored)
    assert hashlib.sha256(key.encode()).hexdigest() in [item["key_hash"] for item in stored]


def test_a_key_authenticates_as_its_user_and_records_its_use_a_minute_at_a_time(aws):
    _, key = api_keys.create("alice", "ci")
    assert api_keys.authenticate(key, now=T0).user_id == "alice"
    api_keys.authenticate(key, now=T0 + timedelta(seconds=30))
    assert api_keys.list_for_user("alice")[0].last_used_at == T0
    api_keys.authenticate(key, now=T0 + timedelta(minutes=2))
    assert api_keys.list_for_user("alice")[0].last_used_at == T0 + timedelta(minutes=2)
    for wrong in ("", key + "x", "bgr_" + "a" * 43, key.replace("bgr_", "xyz_"), "bgr_" + "a" * 300):
        assert api_keys.authenticate(wrong) is None


def test_revoked_keys_stop_and_only_their_owner_revokes_them(aws):
    record, key = api_keys.create("alice", "ci")
    with pytest.raises(NotFound):
        api_keys.revoke("mallory", record.id)
    assert api_keys.authenticate(key) is not None
    api_keys.revoke("alice", record.id)
    assert api_keys.authenticate(key) is None
    assert api_keys.list_for_user("alice") == []
    with pytest.raises(NotFound):
        api_keys.revoke("alice", record.id)


def test_keys_are_listed_newest_first_and_capped(aws):
    for i in range(api_keys.MAX_ACTIVE_KEYS):
        api_keys.create("bob", f"k{i}", now=T0 + timedelta(seconds=i))
    assert [k.name for k in api_keys.list_for_user("bob")][:2] == [
        f"k{api_keys.MAX_ACTIVE_KEYS - 1}",
        f"k{api_keys.MAX_ACTIVE_KEYS - 2}",
    ]
    with pytest.raises(Conflict):
        api_keys.create("bob", "one too many")


def authorize(key: str | None, path: str = "/v1.0/removebg") -> dict:
    function = functions(TEMPLATE)[TEMPLATE.name("ApiKeyAuthorizerFunction")]
    arn = f"arn:aws:execute-api:ap-southeast-1:123456789012:api/dev/POST{path}"
    event = {
        "type": "REQUEST",
        "methodArn": arn,
        "resource": path,
        "path": path,
        "headers": {"x-api-key": key} if key else {},
    }
    return function.load()(event, LambdaContext(function_name="authorizer"))


def test_the_authorizer_function_allows_a_key_as_its_user_and_denies_the_rest(aws):
    _, key = api_keys.create("alice", "ci")
    allowed = authorize(key)
    assert allowed["principalId"] == "alice" and allowed["context"]["userId"] == "alice"
    assert allowed["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    for wrong in ("bgr_unknown", None):
        assert authorize(wrong)["policyDocument"]["Statement"][0]["Effect"] == "Deny"


def test_the_limit_holds_under_concurrent_creation_and_a_revocation_frees_a_place(aws):
    made, refused = [], []

    def create(i):
        try:
            made.append(api_keys.create("carol", f"k{i}"))
        except Conflict:
            refused.append(i)

    on_threads(26, create)
    assert (len(made), len(refused)) == (api_keys.MAX_ACTIVE_KEYS, 26 - api_keys.MAX_ACTIVE_KEYS)
    assert len(api_keys.list_for_user("carol")) == api_keys.MAX_ACTIVE_KEYS
    api_keys.revoke("carol", made[0][0].id)
    with pytest.raises(NotFound):
        api_keys.revoke("carol", made[0][0].id)  # a second revocation frees nothing more
    api_keys.create("carol", "the freed place")
    with pytest.raises(Conflict):
        api_keys.create("carol", "one too many")


def test_a_key_may_expire_and_is_listed_with_its_expiry(aws):
    record, key = api_keys.create("dave", "ci", now=T0, expires_in_days=7)
    _, forever = api_keys.create("dave", "forever", now=T0)
    assert record.expires_at == T0 + timedelta(days=7)
    assert api_keys.authenticate(key, now=T0 + timedelta(days=7) - timedelta(seconds=1)) is not None
    assert api_keys.authenticate(key, now=T0 + timedelta(days=7)) is None
    assert api_keys.authenticate(forever, now=T0 + timedelta(days=3650)) is not None
    listed = {k.name: k.expires_at for k in api_keys.list_for_user("dave")}
    assert listed == {"ci": T0 + timedelta(days=7), "forever": None}


def test_the_authorizer_denies_an_expired_key(aws):
    _, key = api_keys.create("erin", "ci", now=datetime.now(UTC) - timedelta(days=2), expires_in_days=1)
    assert authorize(key)["policyDocument"]["Statement"][0]["Effect"] == "Deny"


def test_a_test_key_is_marked_as_one_to_the_handlers(aws):
    record, key = api_keys.create("carol", "sandbox", test=True)
    assert key.startswith("bgr_test_") and record.prefix == key[:17] and record.test
    allowed = authorize(key)
    assert allowed["context"] == {"userId": "carol", "keyId": record.id, "keyMode": "test"}
    _, live = api_keys.create("carol", "production")
    assert authorize(live)["context"]["keyMode"] == "live"
    event = {"requestContext": {"authorizer": allowed["context"]}}
    assert (
        identity_of(event).test and not identity_of({"requestContext": {"authorizer": {"userId": "c"}}}).test
    )


def test_a_test_key_s_job_charges_nothing_and_writes_no_ledger_entry_even_when_failed(aws):
    fund("dave", 5)
    job = jobs.create("dave", "premium", "a.jpg", options=OutputOptions(), size_bytes=10, test=True)
    stored = jobs.get(job.id)
    assert (stored.test, stored.pricing_type, stored.credits_used) == (True, "test", 0)
    broke = jobs.create("erin", "premium", "a.jpg", options=OutputOptions(), size_bytes=10, test=True)
    assert jobs.get(broke.id).status == "pending"  # no balance needed
    assert lifecycle.end_job(stored, lifecycle.Failed("CORRUPT_IMAGE", "bad"))
    assert jobs.get(job.id).status == "failed" and credits.balance("dave") == 5
    assert [e.reason for e in LedgerEntry.query("dave")] == ["admin_grant"]  # the funding only
    assert list(LedgerEntry.query("erin")) == []
    assert JobView.of(jobs.get(job.id)).test


def test_on_the_mcp_endpoint_a_refused_key_is_a_401_as_the_mcp_specification_asks(aws):
    _, key = api_keys.create("alice", "agent")
    assert authorize(key, "/mcp")["context"]["userId"] == "alice"
    api_keys.revoke("alice", api_keys.list_for_user("alice")[0].id)
    for refused in (key, "bgr_unknown"):
        with pytest.raises(Exception, match=r"^Unauthorized$"):  # API Gateway's 401, not a Deny's 403
            authorize(refused, "/mcp")
