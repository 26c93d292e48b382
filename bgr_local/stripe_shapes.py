"""Stripe's own object shapes (its published fixtures, trimmed: stripe_fixtures.json names the
source) filled with this service's values, and Stripe's webhook signature scheme. The local
checkout builds what it sends from these, and so do the tests."""

import copy
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path

FIXTURES = json.loads((Path(__file__).with_name("stripe_fixtures.json")).read_text())


def new_id(prefix: str) -> str:
    return f"{prefix}_local{secrets.token_hex(10)}"


def shape(name: str, **values) -> dict:
    """Stripe's fixture object `name` with the given top-level values."""
    return {**copy.deepcopy(FIXTURES[name]), **values}


def checkout_session(**values) -> dict:
    return shape("checkout.session", id=new_id("cs"), **values)


def subscription(*, period_end: int, metadata: dict, **values) -> dict:
    sub = shape("subscription", id=new_id("sub"), metadata=metadata, cancel_at_period_end=False,
                cancel_at=None, canceled_at=None, **values)  # fmt: skip
    item = sub["items"]["data"][0]
    item.update(
        subscription=sub["id"], current_period_start=period_end - 30 * 86400, current_period_end=period_end
    )
    sub["items"]["url"] = f"/v1/subscription_items?subscription={sub['id']}"
    return sub


def invoice(
    *, subscription_id: str, metadata: dict, period_start: int, period_end: int, amount: int, **values
) -> dict:
    inv = shape(
        "invoice",
        id=new_id("in"),
        status="paid",
        billing_reason="subscription_create",
        currency="idr",
        amount_due=amount,
        amount_paid=amount,
        amount_remaining=0,
        period_start=period_start,
        period_end=period_start,
        parent={
            "quote_details": None,
            "subscription_details": {"metadata": metadata, "subscription": subscription_id},
            "type": "subscription_details",
        },
        **values,
    )
    line = inv["lines"]["data"][0]
    line.update(amount=amount, currency="idr", period={"start": period_start, "end": period_end})
    inv["lines"]["url"] = f"/v1/invoices/{inv['id']}/lines"
    return inv


def charge(*, payment_intent: str, amount: int, amount_refunded: int, metadata: dict) -> dict:
    return shape(
        "charge",
        id=new_id("ch"),
        amount=amount,
        amount_captured=amount,
        captured=True,
        currency="idr",
        payment_intent=payment_intent,
        amount_refunded=amount_refunded,
        refunded=amount_refunded >= amount,
        metadata=metadata,
    )


def event(
    event_type: str, data_object: dict, *, created: int | None = None, event_id: str | None = None
) -> dict:
    return shape(
        "event",
        id=event_id or new_id("evt"),
        type=event_type,
        created=int(time.time()) if created is None else created,
        api_version="2025-09-30.clover",
        data={"object": data_object},
        pending_webhooks=1,
    )


def signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header of `payload`: `t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">`."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"
