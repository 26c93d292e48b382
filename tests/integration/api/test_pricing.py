import pytest

import money
from bgr_core.money import credits
from bgr_local import tokens


def test_pricing_is_public(api):
    reply = api("pricing")
    assert reply.status == 200
    tiers = {t["name"]: t for t in reply.body["tiers"]}
    assert tiers["standard"]["credits"] == 8 and tiers["industry"]["priceRp"] == 2500
    assert {p["name"] for p in reply.body["plans"]} == {"starter", "pro"}
    assert reply.body["discounts"][1] == {"minImages": 20, "maxImages": 50, "percentage": 5}


def bearer(user: str = "user-1") -> dict:
    """A token the local runtime's stand-in for Cognito signs (see `local_tokens`)."""
    return {"Authorization": f"Bearer {tokens.sign(user, secret=b'quote-secret')}"}


@pytest.fixture
def local_tokens(settings_env):
    settings_env(**tokens.verifier_environment(b"quote-secret"))


def test_quote_without_and_with_subscription_cover(api, local_tokens):
    quote = api("quote").body["quote"]
    assert quote == {
        "tier": "standard",
        "imageCount": 50,
        "creditsPerImage": 8,
        "originalPrice": 400,
        "discountPercentage": 5,
        "discount": 20,
        "finalPrice": 380,
        "coveredBySubscription": 0,
        "creditsToCharge": 380,
    }
    money.subscribe("user-1", "starter")
    body = {"tier": "standard", "imageCount": 60}
    covered = api("quote", body=body, headers=bearer()).body["quote"]
    assert covered["coveredBySubscription"] == 50 and covered["creditsToCharge"] == 10 * 8 * 90 // 100
    assert api("quote", body=body).body["quote"]["coveredBySubscription"] == 0  # anonymous: no cover
    assert api("quote", body=body, headers=bearer("someone-else")).body["quote"]["coveredBySubscription"] == 0
    assert api("quote", body={"tier": "standard", "imageCount": 501}).status == 422


def test_a_bad_token_on_the_public_quote_is_401_not_anonymous(api, local_tokens):
    forged = {"Authorization": f"Bearer {tokens.sign('user-1', secret=b'not-the-secret')}"}
    for headers in (forged, {"Authorization": "Bearer not.a.jwt"}, {"Authorization": "Basic dXNlcjpwdw=="}):
        reply = api("quote", headers=headers)
        assert reply.status == 401 and reply.error == "UNAUTHORIZED", headers


def test_a_comped_plan_covers_images_until_cancelled(api):
    assert api("admin-subscription").status == 201
    sub = api("subscription-get").body["subscription"]
    assert sub["plan"] == "pro" and sub["status"] == "active" and sub["dailyQuota"] == 200
    assert sub["lastPaymentId"] == "comp:admin-1" and sub["today"]["remaining"] == 200
    assert api("admin-subscription").status == 201  # an admin may extend a comp

    job = api(
        "remove-json", body={"tier": "basic", "filename": "a.png", "contentType": "image/png", "sizeBytes": 9}
    )
    assert job.status == 201 and job.body["job"]["pricingType"] == "subscription"
    assert job.headers["x-credits-charged"] == "0"
    today = api("subscription-get").body["subscription"]["today"]
    assert today["used"] == 1 and today["byTier"]["basic"]["removalsCount"] == 1

    cancelled = api("subscription-delete").body["subscription"]
    assert cancelled["status"] == "cancelled" and cancelled["cancelReason"] == "too expensive"
    assert cancelled["usable"] is True
    assert api("subscription-delete").status == 404
    assert api("stats").body["stats"]["plan"] == "pro"
    assert credits.balance("user-1") == 0


def test_disabled_subscriptions_answer_503(api, settings_env):
    settings_env(FEATURE_SUBSCRIPTIONS="false")
    reply = api("subscription-post")
    assert reply.status == 503 and reply.error == "FEATURE_DISABLED"
    settings_env(FEATURE_SUBSCRIPTIONS="true")
    assert api("subscription-get").body == {"subscription": None}
