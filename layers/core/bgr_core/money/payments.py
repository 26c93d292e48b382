"""The payments port: what the domain asks of a payment provider (a checkout for a plan or a credit
pack, a subscription cancelled at period end, a verified event read into the domain's terms).
Stripe is the first adapter (money.stripe_payments); another provider (Xendit, Midtrans) is another
adapter of the same Protocol; money.payment_provider picks the one this stack is configured with.
"""

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bgr_core.platform.contract import Schema
from bgr_core.platform.errors import BadRequest, ServiceUnavailable


class Checkout(Schema):
    """Where the payer goes to pay (the provider's hosted page), and until when it is valid."""

    id: str
    url: str
    expires_at: datetime
    mode: str  # subscription | payment


class EventKind(StrEnum):
    """What a provider's event means to this service (the adapter maps its own names to these)."""

    SUBSCRIPTION_CHECKOUT = "subscription_checkout"  # a plan's checkout finished (not its payment)
    SUBSCRIPTION_PAID = "subscription_paid"  # an invoice of a period was paid: activate or renew
    SUBSCRIPTION_PAYMENT_FAILED = "subscription_payment_failed"  # past_due
    SUBSCRIPTION_UPDATED = "subscription_updated"  # cancel at period end set or unset, status
    SUBSCRIPTION_ENDED = "subscription_ended"  # expired
    PACK_PAID = "pack_paid"  # a credit pack's checkout is paid
    PACK_REFUNDED = "pack_refunded"  # (part of) a pack's payment was refunded
    OTHER = "other"  # acknowledged, changes nothing


class ProviderEvent(Schema):
    """A verified provider event in the domain's terms; fields are None where its kind has none."""

    id: str
    kind: EventKind
    provider_type: str  # the provider's own name of the event (checkout.session.completed ...)
    created: int  # unix seconds, the provider's clock
    user_id: str | None = None
    plan: str | None = None
    pack: str | None = None
    subscription_id: str | None = None  # the provider's
    customer_id: str | None = None
    checkout_id: str | None = None
    payment_id: str | None = None  # an invoice (plans) or a payment (packs)
    period_end: datetime | None = None
    cancel_at_period_end: bool | None = None
    provider_status: str | None = None  # the provider's subscription status
    cancel_reason: str | None = None
    amount: int | None = None  # minor units
    amount_refunded: int | None = None  # cumulative


class InvalidSignature(BadRequest):
    """Unsigned, forged, stale or malformed: nothing is read, nothing changes."""

    code = "INVALID_SIGNATURE"


class ProviderUnavailable(ServiceUnavailable):
    """The provider refused or did not answer a request of ours (its text is logged, not sent)."""

    code = "PAYMENT_PROVIDER_UNAVAILABLE"


class PaymentProvider(Protocol):
    name: str

    def subscription_checkout(self, user_id: str, plan: str, return_url: str) -> Checkout: ...

    def pack_checkout(self, user_id: str, pack: str, return_url: str) -> Checkout: ...

    def cancel_at_period_end(self, subscription_id: str, reason: str | None) -> None: ...

    def verify(self, payload: bytes, signature: str | None) -> ProviderEvent: ...
