"""Stripe's events read into the service's terms, from Stripe's own fixture shapes
(bgr_local/stripe_fixtures.json): what each type means, whatever Stripe adds or expands."""

import json

import pytest

from bgr_core.money.payments import EventKind, InvalidSignature
from bgr_core.money.stripe_payments import StripePayments
from bgr_local import stripe_shapes
from bgr_local.checkout import nested

SECRET = "whsec_" + "u" * 32
STRIPE = StripePayments("sk_test_unused", SECRET)


def verified(event: dict):
    payload = json.dumps(event).encode()
    return STRIPE.verify(payload, stripe_shapes.signature(payload, SECRET))


def test_a_paid_invoice_names_its_subscription_user_plan_and_period():
    invoice = stripe_shapes.invoice(
        subscription_id="sub_1",
        metadata={"userId": "u", "plan": "pro"},
        period_start=100,
        period_end=2_000,
        amount=1,
    )
    read = verified(stripe_shapes.event("invoice.paid", invoice, created=50))
    assert (read.kind, read.user_id, read.plan, read.subscription_id) == (
        EventKind.SUBSCRIPTION_PAID,
        "u",
        "pro",
        "sub_1",
    )
    assert (
        int(read.period_end.timestamp()) == 2_000 and read.payment_id == invoice["id"] and read.created == 50
    )


def test_an_invoice_of_an_older_api_version_names_its_subscription_at_the_top():
    invoice = stripe_shapes.shape(
        "invoice", parent=None, subscription={"id": "sub_2", "object": "subscription"}
    )
    read = verified(stripe_shapes.event("invoice.payment_failed", invoice))
    assert (read.kind, read.subscription_id, read.user_id) == (
        EventKind.SUBSCRIPTION_PAYMENT_FAILED,
        "sub_2",
        None,
    )


def test_an_invoice_of_no_subscription_is_not_acted_on():
    invoice = stripe_shapes.shape("invoice", parent=None)
    assert verified(stripe_shapes.event("invoice.paid", invoice)).kind == EventKind.OTHER


@pytest.mark.parametrize(("status", "kind"), [("paid", EventKind.PACK_PAID), ("unpaid", EventKind.OTHER)])
def test_a_pack_checkout_counts_once_paid(status, kind):
    session = stripe_shapes.checkout_session(
        mode="payment",
        payment_status=status,
        metadata={"userId": "u", "pack": "small"},
        amount_total=1_000_000,
    )
    read = verified(stripe_shapes.event("checkout.session.completed", session))
    assert (
        read.kind == kind
        and read.payment_id == session["payment_intent"]
        and read.checkout_id == session["id"]
    )


def test_a_subscription_update_says_cancel_at_period_end_and_why():
    sub = stripe_shapes.subscription(period_end=3_000, metadata={"userId": "u", "plan": "starter"})
    sub.update(cancel_at_period_end=True, customer={"id": "cus_x", "object": "customer"})
    sub["cancellation_details"]["comment"] = "too expensive"
    read = verified(stripe_shapes.event("customer.subscription.updated", sub))
    assert (read.kind, read.cancel_at_period_end, read.cancel_reason) == (
        EventKind.SUBSCRIPTION_UPDATED,
        True,
        "too expensive",
    )
    assert read.customer_id == "cus_x" and int(read.period_end.timestamp()) == 3_000


def test_a_refunded_charge_names_its_payment_and_the_amount_refunded_so_far():
    charge = stripe_shapes.charge(
        payment_intent="pi_1", amount=1_000_000, amount_refunded=500_000, metadata={}
    )
    read = verified(stripe_shapes.event("charge.refunded", charge))
    assert (read.kind, read.payment_id, read.amount, read.amount_refunded) == (
        EventKind.PACK_REFUNDED,
        "pi_1",
        1_000_000,
        500_000,
    )


def test_a_signed_event_of_the_wrong_shape_is_refused_like_a_forgery():
    with pytest.raises(InvalidSignature):
        verified(stripe_shapes.event("charge.refunded", {"id": "ch_1"}))  # no amounts


def test_stripes_form_encoding_reads_back_nested():
    pairs = [("line_items[0][price_data][currency]", "idr"), ("metadata[userId]", "u"), ("mode", "payment")]
    assert nested(pairs) == {
        "line_items": {"0": {"price_data": {"currency": "idr"}}},
        "metadata": {"userId": "u"},
        "mode": "payment",
    }
