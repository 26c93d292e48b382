from bgr_core.api.identity import identity_of
from bgr_core.money import credits
from bgr_core.platform.models import LedgerEntry
from money import fund


def test_admin_groups_in_every_shape_cognito_sends(api):
    for groups in ("admin", "admin,ops", "[admin ops]", ["ops", "admin"]):
        assert api("admin-grant", user="admin-1", groups=groups).status == 200, groups


def test_admin_grant_adds_and_records_the_admin(api):
    fund("user-1", 5)
    reply = api("admin-grant")
    assert reply.status == 200
    assert reply.body["balance"] == 105 and reply.body["entry"]["actor"] == "admin:admin-1"
    assert reply.body["entry"]["delta"] == 100 and reply.body["entry"]["reference"] == "welcome bonus"
    assert api("balance").body == {"balance": 105}
    ledger = api("admin-ledger").body
    assert ledger["balance"] == 105 and [e["delta"] for e in ledger["entries"]] == [100, 5]
    own = api("ledger").body  # the user's own view of the same entries
    assert own["userId"] == "user-1" and own["entries"] == ledger["entries"]
    assert api("ledger", user="someone-else").body["entries"] == []


def test_non_admins_get_403_and_nothing_changes(api):
    for groups in (None, "[ops]", "administrators"):
        reply = api("admin-grant", user="user-1", groups=groups)
        assert reply.status == 403 and reply.error == "FORBIDDEN"
    assert api("admin-ledger", user="user-1").status == 403
    assert credits.balance("user-1") == 0 and not list(LedgerEntry.scan())


def test_bad_grant_amounts_are_422(api):
    assert api("admin-grant", body={"amount": -5, "reason": "x"}).status == 422
    assert api("admin-grant", body={"amount": 5}).status == 422


def test_no_identity_is_401_never_500(api):
    for name in ("jobs", "stats", "balance", "subscription-get", "remove-json", "batch-create", "batch"):
        reply = api(name, user=None)
        assert reply.status == 401 and reply.error == "UNAUTHORIZED", name


def test_a_forged_user_id_in_body_or_query_is_ignored(api):
    fund("victim", 50)
    fund("user-1", 10)
    body = {
        "tier": "basic",
        "filename": "a.png",
        "contentType": "image/png",
        "sizeBytes": 9,
        "userId": "victim",
    }
    reply = api("remove-json", body=body, query={"userId": "victim"}, headers={"X-User-Id": "victim"})
    assert reply.status == 201
    assert credits.balance("victim") == 50 and credits.balance("user-1") == 7
    assert api("balance", query={"userId": "victim"}).body == {"balance": 7}


def test_claims_without_a_subject_are_no_identity():
    assert identity_of({"requestContext": {"authorizer": {"claims": {"email": "x@example.com"}}}}) is None
    assert identity_of({"requestContext": {}}) is None
