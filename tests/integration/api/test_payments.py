"""Money in: checkouts for plans and packs, and Stripe's signed events through the webhook function
(on moto built from the template; Stripe's API answered by a stub with Stripe's fixture objects,
its events in Stripe's fixture shapes, signed with Stripe's scheme)."""

import json
import threading
import time

import pytest

from bgr_core.money import credits, payment_events, payment_provider, subscriptions
from bgr_core.money.credits import Change
from bgr_core.platform.models import PaymentEvent, Subscription
from bgr_local import stripe_shapes

USER = "user-1"
DAY_S = 86400


def plan_paid(stripe, *, plan="starter", sub_id="sub_A", period_end=None, user=USER, **event) -> dict:
    now = int(time.time())
    invoice = stripe_shapes.invoice(
        subscription_id=sub_id,
        metadata={"userId": user, "plan": plan} if user else {},
        period_start=now,
        period_end=period_end or now + 30 * DAY_S,
        amount=99_000_00,
        customer="cus_QXg1o8vcGmoR32",
    )
    return stripe.event("invoice.paid", invoice, **event)


def subscription_event(stripe, kind, *, sub_id="sub_A", cancel=False, status="active", **event) -> dict:
    sub = stripe_shapes.subscription(
        period_end=int(time.time()) + 30 * DAY_S, metadata={"userId": USER, "plan": "starter"}, status=status
    )
    sub.update(id=sub_id, cancel_at_period_end=cancel)
    sub["cancellation_details"]["comment"] = "too expensive" if cancel else None
    return stripe.event(f"customer.subscription.{kind}", sub, **event)


def session_completed(stripe, *, mode="payment", pack="small", payment_intent="pi_1PgafyB7WZ01zgkWSjxsAJo3"):
    meta = {"userId": USER, "pack": pack} if mode == "payment" else {"userId": USER, "plan": "starter"}
    session = stripe_shapes.checkout_session(
        mode=mode,
        status="complete",
        payment_status="paid",
        metadata=meta,
        client_reference_id=USER,
        payment_intent=payment_intent if mode == "payment" else None,
        subscription="sub_A" if mode == "subscription" else None,
        amount_total=10_000_00,
        currency="idr",
    )
    return stripe.event("checkout.session.completed", session)


def refunded(stripe, amount_refunded, payment_intent="pi_1PgafyB7WZ01zgkWSjxsAJo3"):
    charge = stripe_shapes.charge(
        payment_intent=payment_intent, amount=10_000_00, amount_refunded=amount_refunded, metadata={}
    )
    return stripe.event("charge.refunded", charge)


def subscription(api) -> dict | None:
    return api("subscription-get").body["subscription"]


def recorded_events() -> list[str]:
    return sorted(e.outcome for e in PaymentEvent.scan())


# -- checkouts -------------------------------------------------------------------------------
def test_subscribing_answers_a_checkout_and_changes_nothing(api, stripe):
    reply = api("subscription-post")
    assert reply.status == 201
    checkout = reply.body["checkout"]
    assert checkout["mode"] == "subscription" and checkout["url"].startswith("https://checkout.stripe.com/")
    assert checkout["id"].startswith("cs_") and checkout["expiresAt"]
    (sent,) = stripe.requests
    assert sent["path"] == "/v1/checkout/sessions" and sent["auth"] == f"Bearer {stripe.secret_key}"
    params = sent["params"]
    price = params["line_items"]["0"]["price_data"]
    assert (params["mode"], price["currency"], price["unit_amount"]) == ("subscription", "idr", "9900000")
    assert price["recurring"]["interval"] == "month"
    assert (
        params["metadata"] == params["subscription_data"]["metadata"] == {"userId": USER, "plan": "starter"}
    )
    assert params["success_url"].startswith("https://app.example.com/#/account?checkout=paid")
    assert subscription(api) is None and Subscription.count() == 0 and credits.balance(USER) == 0


def test_buying_a_pack_answers_a_checkout_at_its_price(api, stripe):
    reply = api("credits-checkout")
    assert reply.status == 201 and reply.body["checkout"]["mode"] == "payment"
    params = stripe.requests[0]["params"]
    price = params["line_items"]["0"]["price_data"]
    assert (params["mode"], price["currency"], price["unit_amount"]) == ("payment", "idr", str(47_500 * 100))
    assert params["payment_intent_data"]["metadata"] == {"userId": USER, "pack": "medium"}
    packs = {p["name"]: p for p in api("pricing").body["packs"]}
    assert packs["medium"] == {
        "name": "medium",
        "credits": 500,
        "listPriceRp": 50_000,
        "discountPercentage": 5,
        "priceRp": 47_500,
    }
    assert api("credits-checkout", body={"pack": "huge"}).status == 422
    assert credits.balance(USER) == 0


def test_without_its_secrets_money_in_is_switched_off_and_health_says_so(api):
    for name in ("subscription-post", "credits-checkout", "stripe-webhook"):
        reply = api(name)
        assert (reply.status, reply.error) == (503, "FEATURE_DISABLED"), name
    assert api("admin-health").body["features"]["payments"] is False


def test_a_provider_failure_is_503_and_tells_nothing_of_stripe(api, stripe):
    stripe.stub.answer_status = 500
    reply = api("subscription-post")
    assert (reply.status, reply.error) == (503, "PAYMENT_PROVIDER_UNAVAILABLE")
    assert "sk_test" not in reply.raw["body"] and "bad day" not in reply.raw["body"]


# -- the webhook: signatures -----------------------------------------------------------------
def _forgeries(stripe):
    event = json.dumps(plan_paid(stripe)).encode()
    now = int(time.time())
    return {
        "unsigned": (event, ""),
        "wrong secret": (event, stripe_shapes.signature(event, "whsec_" + "x" * 32)),
        "10 minutes old": (event, stripe_shapes.signature(event, stripe.webhook_secret, now - 600)),
        "body changed after signing": (
            event.replace(b'"starter"', b'"pro"'),
            stripe_shapes.signature(event, stripe.webhook_secret),
        ),
        "not a signature": (event, "t=now,v1=nothing"),
        "signed, not an event": (b'{"id": 1}', stripe_shapes.signature(b'{"id": 1}', stripe.webhook_secret)),
        "signed, not JSON": (b"\xff\xfe", stripe_shapes.signature(b"\xff\xfe", stripe.webhook_secret)),
    }


@pytest.mark.parametrize(
    "case",
    [
        "unsigned",
        "wrong secret",
        "10 minutes old",
        "body changed after signing",
        "not a signature",
        "signed, not an event",
        "signed, not JSON",
    ],
)
def test_forged_stale_or_changed_events_are_400_and_change_nothing(api, stripe, case):
    payload, signature = _forgeries(stripe)[case]
    event = api.event("stripe-webhook", body=payload.decode("utf-8", "replace"), headers={})
    event["headers"].pop("Stripe-Signature", None)
    event["multiValueHeaders"].pop("Stripe-Signature", None)
    if signature:
        event["headers"]["Stripe-Signature"] = signature
    reply = api.send(event)
    assert (reply.status, reply.error) == (400, "INVALID_SIGNATURE")
    assert stripe.webhook_secret not in reply.raw["body"] and "whsec" not in reply.raw["body"]
    assert subscription(api) is None and recorded_events() == [] and credits.balance(USER) == 0


# -- the webhook: subscriptions --------------------------------------------------------------
@pytest.mark.parametrize("order", ["checkout first", "invoice first"])
def test_a_paid_first_invoice_activates_once_in_any_order_and_delivery(api, stripe, order):
    completed, paid = session_completed(stripe, mode="subscription"), plan_paid(stripe)
    events = [completed, paid] if order == "checkout first" else [paid, completed]
    first = stripe.deliver(api, events[0])
    assert first.status == 200
    if order == "checkout first":
        assert subscription(api) is None  # the checkout alone activates nothing
    for _ in range(3):
        assert stripe.deliver(api, paid).status == 200
    stripe.deliver(api, events[1])
    sub = subscription(api)
    assert (sub["status"], sub["plan"], sub["provider"], sub["usable"]) == (
        "active",
        "starter",
        "stripe",
        True,
    )
    assert sub["lastPaymentId"] == paid["data"]["object"]["id"]
    assert recorded_events().count("activated") == 1 and len(recorded_events()) == 2


def racing_redeliveries(stripe, event: dict, times: int = 3) -> list[str]:
    """The outcomes of one signed event delivered on `times` threads released together, sorted."""
    payload = json.dumps(event).encode()
    signature = stripe_shapes.signature(payload, stripe.webhook_secret)
    gate, outcomes = threading.Barrier(times), []

    def deliver():
        verified = payment_provider.provider().verify(payload, signature)
        gate.wait()
        outcomes.append(payment_events.handle(verified))

    threads = [threading.Thread(target=deliver) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


def test_redeliveries_racing_on_threads_activate_once(aws, stripe):
    assert racing_redeliveries(stripe, plan_paid(stripe)) == ["activated", "duplicate", "duplicate"]
    assert subscriptions.get(USER).status == "active" and Subscription.get(USER).version == 1


def test_renewal_past_due_and_end_follow_the_provider(api, stripe):
    now = int(time.time())
    stripe.deliver(api, plan_paid(stripe, period_end=now + 30 * DAY_S))
    renewal = plan_paid(stripe, period_end=now + 60 * DAY_S, plan="pro")
    stripe.deliver(api, renewal)
    sub = subscription(api)
    assert sub["status"] == "active" and sub["plan"] == "pro"  # a plan change as the provider bills it
    assert sub["currentPeriodEnd"].startswith(time.strftime("%Y-%m-%d", time.gmtime(now + 60 * DAY_S)))
    assert (
        sub["nextBillingDate"] == sub["currentPeriodEnd"]
        and sub["lastPaymentId"] == renewal["data"]["object"]["id"]
    )
    late = plan_paid(stripe, period_end=now + 30 * DAY_S)  # the first period's invoice, delivered late
    assert stripe.deliver(api, late).body["outcome"] == "ignored: that period is already paid"
    failed = plan_paid(stripe, period_end=now + 90 * DAY_S)
    failed["type"] = "invoice.payment_failed"
    stripe.deliver(api, failed)
    sub = subscription(api)
    assert (sub["status"], sub["usable"]) == ("past_due", True)  # until the period it paid for ends
    assert sub["currentPeriodEnd"].startswith(time.strftime("%Y-%m-%d", time.gmtime(now + 60 * DAY_S)))
    stripe.deliver(api, subscription_event(stripe, "deleted", status="canceled"))
    assert (subscription(api)["status"], subscription(api)["usable"]) == ("expired", False)
    after = plan_paid(stripe, period_end=now + 120 * DAY_S)
    assert stripe.deliver(api, after).body["outcome"] == "ignored: that subscription has ended"
    assert subscription(api)["status"] == "expired"


def test_an_older_update_never_undoes_a_newer_one(api, stripe):
    now = int(time.time())
    stripe.deliver(api, plan_paid(stripe, created=now - 100))
    stripe.deliver(api, subscription_event(stripe, "updated", cancel=True, created=now))
    stale = subscription_event(stripe, "updated", cancel=False, created=now - 50)
    assert stripe.deliver(api, stale).body["outcome"] == "ignored: older than the last change applied"
    assert subscription(api)["status"] == "cancelled"
    resumed = subscription_event(stripe, "updated", cancel=False, created=now + 1)
    assert stripe.deliver(api, resumed).body["outcome"] == "active"
    assert subscription(api)["autoRenew"] is True


def test_cancel_then_subscribe_again_the_same_day_keeps_the_days_quota(api, stripe):
    stripe.deliver(api, plan_paid(stripe, sub_id="sub_A"))
    image = {"tier": "basic", "filename": "a.png", "contentType": "image/png", "sizeBytes": 9}
    for _ in range(10):
        assert api("remove-json", body=image).body["job"]["pricingType"] == "subscription"
    asked = api("subscription-delete")
    assert asked.status == 202 and asked.body["subscription"]["status"] == "active"  # until Stripe confirms
    cancel_call = stripe.requests[-1]
    assert cancel_call["path"] == "/v1/subscriptions/sub_A"
    assert cancel_call["params"]["cancel_at_period_end"] == "true"
    stripe.deliver(api, subscription_event(stripe, "updated", sub_id="sub_A", cancel=True))
    sub = subscription(api)
    assert (sub["status"], sub["usable"], sub["cancelReason"]) == ("cancelled", True, "too expensive")
    assert api("subscription-post").status == 201  # a new checkout
    stripe.deliver(api, plan_paid(stripe, sub_id="sub_B"))
    again = subscription(api)
    assert again["status"] == "active" and again["id"] != sub["id"]
    assert again["today"]["used"] == 10 and again["today"]["remaining"] == 40  # not a fresh 50


def test_events_of_unknown_users_are_acknowledged_and_recorded(api, stripe):
    reply = stripe.deliver(api, plan_paid(stripe, user=None))
    assert reply.status == 200 and reply.body["outcome"].startswith("ignored")
    other = stripe.deliver(api, stripe.event("customer.created", {"id": "cus_QXg1o8vcGmoR32"}))
    assert other.status == 200 and recorded_events() == sorted([reply.body["outcome"], other.body["outcome"]])
    assert Subscription.count() == 0


# -- the webhook: credit packs ---------------------------------------------------------------
def test_a_paid_pack_grants_once_under_three_racing_redeliveries(aws, stripe):
    event = session_completed(stripe, pack="small")
    assert racing_redeliveries(stripe, event) == ["duplicate", "duplicate", "granted"]
    (entry,) = credits.ledger(USER)
    assert (entry.delta, entry.reason, entry.actor) == (100, "pack_purchase", "payment")
    assert entry.reference == event["data"]["object"]["id"] and credits.balance(USER) == 100


def test_a_refunded_pack_takes_its_credits_back_never_below_zero(api, stripe):
    stripe.deliver(api, session_completed(stripe, pack="small"))
    stripe.deliver(api, refunded(stripe, 5_000_00))  # half of it
    assert credits.balance(USER) == 50
    credits.apply(lambda attempt: Change(USER, -45, "charge", "job:spent", f"user:{USER}"))
    full = refunded(stripe, 10_000_00)
    assert stripe.deliver(api, full).body["outcome"] == "taken back, 45 short"
    assert stripe.deliver(api, full).body["outcome"] == "duplicate"
    entry = credits.ledger(USER)[0]
    assert (entry.delta, entry.reason, entry.shortfall, entry.balance_after) == (-5, "pack_refund", 45, 0)
    assert credits.balance(USER) == 0
    assert api("ledger", user=USER).body["entries"][0]["shortfall"] == 45


def test_a_refund_delivered_before_its_payment_is_deducted_from_the_grant(api, stripe):
    assert (
        stripe.deliver(api, refunded(stripe, 10_000_00)).body["outcome"]
        == "refund recorded before its payment"
    )
    assert stripe.deliver(api, session_completed(stripe, pack="small")).body["outcome"] == "granted"
    assert credits.balance(USER) == 0 and credits.ledger(USER) == []


# -- comped plans ----------------------------------------------------------------------------
def test_only_admins_comp_a_plan_and_it_is_recorded(api, stripe):
    assert api("admin-subscription", user=USER).status == 403
    reply = api("admin-subscription")
    assert reply.status == 201
    sub = Subscription.get(USER)
    assert (sub.plan, sub.provider, sub.comped_by, sub.comp_reason) == (
        "pro",
        "comp",
        "admin:admin-1",
        "support case 123",
    )
    assert (
        reply.body["subscription"]["status"] == "active" and reply.body["subscription"]["autoRenew"] is False
    )
    cancelled = api("subscription-delete")  # nothing to ask a provider: cancelled at once
    assert cancelled.status == 200 and cancelled.body["subscription"]["status"] == "cancelled"
    assert stripe.requests == []
