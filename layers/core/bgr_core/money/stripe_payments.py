"""The Stripe adapter of the payments port, through Stripe's official SDK: Checkout Sessions (a
plan in subscription mode, a credit pack in payment mode) priced in IDR from bgr_core.money.pricing, a
subscription cancelled at period end, and webhook events verified by `stripe.Webhook.
construct_event` before anything in them is read, then read into the domain's terms.

Stripe's objects are read through pydantic models of only the fields used (Stripe adds fields;
ids of related objects may come expanded). Who paid travels in the session's, the subscription's
and the payment's `metadata` (userId, plan or pack), set when the checkout is created.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, ValidationError

from bgr_core.money.payments import Checkout, EventKind, InvalidSignature, ProviderEvent, ProviderUnavailable
from bgr_core.money.pricing import CREDIT_PACKS, PLANS

logger = Logger()

CURRENCY = "idr"
MINOR_UNITS = 100  # Stripe counts IDR in hundredths (sen)
TOLERANCE_S = 300  # a signature older than this is refused (a replay)
CHECKOUT_LIFE = timedelta(minutes=30)  # the shortest Stripe allows: a stale page cannot pay later


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _id(value: str | dict | None) -> str | None:
    """A related object's id, whether Stripe sent the id or the object expanded."""
    return value.get("id") if isinstance(value, dict) else value


class _Session(_Read):
    id: str
    mode: str
    payment_status: str | None = None
    client_reference_id: str | None = None
    metadata: dict[str, str] | None = None
    subscription: str | dict | None = None
    customer: str | dict | None = None
    payment_intent: str | dict | None = None
    amount_total: int | None = None


class _Period(_Read):
    end: int


class _Line(_Read):
    period: _Period | None = None


class _Lines(_Read):
    data: list[_Line] = []


class _SubscriptionDetails(_Read):
    subscription: str | dict | None = None
    metadata: dict[str, str] | None = None


class _InvoiceParent(_Read):
    subscription_details: _SubscriptionDetails | None = None


class _Invoice(_Read):
    id: str
    customer: str | dict | None = None
    subscription: str | dict | None = None  # API versions before 2025-03 name it here
    parent: _InvoiceParent | None = None
    lines: _Lines = _Lines()
    period_end: int | None = None


class _Item(_Read):
    current_period_end: int | None = None


class _Items(_Read):
    data: list[_Item] = []


class _Cancellation(_Read):
    comment: str | None = None


class _Subscription(_Read):
    id: str
    status: str
    customer: str | dict | None = None
    metadata: dict[str, str] | None = None
    cancel_at_period_end: bool = False
    cancellation_details: _Cancellation | None = None
    items: _Items = _Items()
    current_period_end: int | None = None  # API versions before 2025-03


class _Charge(_Read):
    id: str
    amount: int
    amount_refunded: int
    payment_intent: str | dict | None = None
    metadata: dict[str, str] | None = None


class _Event(_Read):
    id: str
    type: str
    created: int
    data: dict[str, Any]


@contextmanager
def _asking(what: str) -> Iterator[None]:
    try:
        yield
    except stripe.StripeError as exc:
        logger.warning(
            "stripe refused", extra={"request": what, "error": type(exc).__name__, "detail": str(exc)}
        )
        raise ProviderUnavailable(f"the payment provider could not {what}; try again shortly") from exc


def _time(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


class StripePayments:
    name = "stripe"

    def __init__(self, secret_key: str, webhook_secret: str, api_base: str | None = None):
        self._webhook_secret = webhook_secret
        self._client = stripe.StripeClient(
            secret_key, base_addresses={"api": api_base} if api_base else None, max_network_retries=2
        )

    # -- checkouts ---------------------------------------------------------------------------
    def _checkout(self, user_id: str, metadata: dict, price: dict, return_url: str) -> Checkout:
        """One line item at `price`; who pays travels in the metadata of the session and of what
        it creates (the subscription, or the payment of a pack)."""
        subscribing = "recurring" in price
        expires = datetime.now(UTC) + CHECKOUT_LIFE
        with _asking("open a checkout"):
            session = self._client.v1.checkout.sessions.create(
                {
                    "mode": "subscription" if subscribing else "payment",
                    "line_items": [{"price_data": {"currency": CURRENCY, **price}, "quantity": 1}],
                    "client_reference_id": user_id,
                    "metadata": metadata,
                    ("subscription_data" if subscribing else "payment_intent_data"): {"metadata": metadata},
                    "success_url": f"{return_url}?checkout=paid&session={{CHECKOUT_SESSION_ID}}",
                    "cancel_url": f"{return_url}?checkout=cancelled",
                    "expires_at": int(expires.timestamp()),
                }
            )
        return Checkout(
            id=session.id, url=session.url, expires_at=_time(session.expires_at), mode=session.mode
        )

    def subscription_checkout(self, user_id: str, plan: str, return_url: str) -> Checkout:
        price = {
            "unit_amount": PLANS[plan].monthly_price_rp * MINOR_UNITS,
            "recurring": {"interval": "month"},
            "product_data": {"name": f"Background Remover Pro {plan} plan"},
        }
        return self._checkout(user_id, {"userId": user_id, "plan": plan}, price, return_url)

    def pack_checkout(self, user_id: str, pack: str, return_url: str) -> Checkout:
        terms = CREDIT_PACKS[pack]
        price = {
            "unit_amount": terms.price_rp * MINOR_UNITS,
            "product_data": {"name": f"{terms.credits} credits"},
        }
        return self._checkout(user_id, {"userId": user_id, "pack": pack}, price, return_url)

    def cancel_at_period_end(self, subscription_id: str, reason: str | None) -> None:
        params: dict = {"cancel_at_period_end": True}
        if reason:
            params["cancellation_details"] = {"comment": reason[:500]}
        with _asking("cancel the subscription"):
            self._client.v1.subscriptions.update(subscription_id, params)

    # -- events ------------------------------------------------------------------------------
    def verify(self, payload: bytes, signature: str | None) -> ProviderEvent:
        try:
            stripe.Webhook.construct_event(
                payload, signature or "", self._webhook_secret, tolerance=TOLERANCE_S
            )
            event = _Event.model_validate_json(payload)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            # ValueError: not JSON, or not an event (pydantic's ValidationError is one)
            raise InvalidSignature("the payment event is not signed by the provider") from exc
        try:
            return _read(event)
        except ValidationError as exc:
            raise InvalidSignature("the payment event is not of the shape its type has") from exc


def _read(event: _Event) -> ProviderEvent:
    base = {"id": event.id, "provider_type": event.type, "created": event.created}
    obj = event.data.get("object") or {}
    match event.type:
        case "checkout.session.completed" | "checkout.session.async_payment_succeeded":
            session = _Session.model_validate(obj)
            meta = session.metadata or {}
            common = {
                "user_id": meta.get("userId") or session.client_reference_id,
                "checkout_id": session.id,
                "customer_id": _id(session.customer),
            }
            if session.mode == "subscription":
                kind = EventKind.SUBSCRIPTION_CHECKOUT
                return ProviderEvent(
                    **base,
                    kind=kind,
                    **common,
                    plan=meta.get("plan"),
                    subscription_id=_id(session.subscription),
                )
            paid = session.mode == "payment" and session.payment_status == "paid"
            return ProviderEvent(
                **base,
                kind=EventKind.PACK_PAID if paid else EventKind.OTHER,
                **common,
                pack=meta.get("pack"),
                payment_id=_id(session.payment_intent),
                amount=session.amount_total,
            )
        case "invoice.paid" | "invoice.payment_failed":
            invoice = _Invoice.model_validate(obj)
            details = (
                invoice.parent.subscription_details if invoice.parent else None
            ) or _SubscriptionDetails()
            subscription = _id(details.subscription) or _id(invoice.subscription)
            if subscription is None:
                return ProviderEvent(**base, kind=EventKind.OTHER)  # not a subscription's invoice
            meta = details.metadata or {}
            ends = [line.period.end for line in invoice.lines.data if line.period]
            kind = (
                EventKind.SUBSCRIPTION_PAID
                if event.type == "invoice.paid"
                else EventKind.SUBSCRIPTION_PAYMENT_FAILED
            )
            return ProviderEvent(
                **base,
                kind=kind,
                user_id=meta.get("userId"),
                plan=meta.get("plan"),
                subscription_id=subscription,
                customer_id=_id(invoice.customer),
                payment_id=invoice.id,
                period_end=_time(max(ends) if ends else invoice.period_end),
            )
        case "customer.subscription.updated" | "customer.subscription.deleted":
            sub = _Subscription.model_validate(obj)
            meta = sub.metadata or {}
            ends = [item.current_period_end for item in sub.items.data if item.current_period_end]
            ended = event.type == "customer.subscription.deleted"
            return ProviderEvent(
                **base,
                kind=EventKind.SUBSCRIPTION_ENDED if ended else EventKind.SUBSCRIPTION_UPDATED,
                user_id=meta.get("userId"),
                plan=meta.get("plan"),
                subscription_id=sub.id,
                customer_id=_id(sub.customer),
                period_end=_time(max(ends) if ends else sub.current_period_end),
                cancel_at_period_end=sub.cancel_at_period_end,
                provider_status=sub.status,
                cancel_reason=sub.cancellation_details.comment if sub.cancellation_details else None,
            )
        case "charge.refunded":
            charge = _Charge.model_validate(obj)
            meta = charge.metadata or {}
            return ProviderEvent(
                **base,
                kind=EventKind.PACK_REFUNDED,
                user_id=meta.get("userId"),
                pack=meta.get("pack"),
                payment_id=_id(charge.payment_intent),
                amount=charge.amount,
                amount_refunded=charge.amount_refunded,
            )
    return ProviderEvent(**base, kind=EventKind.OTHER)
