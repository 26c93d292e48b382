"""The payments port: what the domain asks of a payment provider (a checkout for a plan or a credit
pack, a subscription cancelled at period end, a verified event read into the domain's terms), and
the provider this stack is configured with. Stripe is the first adapter (money.stripe_payments);
another provider (Xendit, Midtrans) is another adapter of the same Protocol.

The provider's secrets live in SSM SecureString parameters named by template.yaml; without them
every payment route answers 503 FEATURE_DISABLED and /health lists `payments: false`.
"""

from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Protocol

from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import BotoCoreError, ClientError

from bgr_core.platform.config import get_settings
from bgr_core.platform.contract import Schema
from bgr_core.platform.errors import BadRequest, FeatureDisabled, ServiceUnavailable
from bgr_core.platform.features import require

SECRETS_MAX_AGE_S = 300  # a rotated secret is picked up within five minutes


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


def _secret(name: str) -> str:
    try:
        return parameters.get_parameter(name, decrypt=True, max_age=SECRETS_MAX_AGE_S)
    except (parameters.exceptions.GetParameterError, ClientError, BotoCoreError) as exc:
        # the parameter is named but missing or unreadable: an operator's setup, said without names
        raise FeatureDisabled("payments are not configured on this service", feature="payments") from exc


@lru_cache(maxsize=4)
def _stripe(secret_key: str, webhook_secret: str, api_base: str) -> PaymentProvider:
    from bgr_core.money.stripe_payments import StripePayments  # the SDK is imported only where payments run

    return StripePayments(secret_key, webhook_secret, api_base or None)


def provider() -> PaymentProvider:
    """The configured provider; FeatureDisabled (503) when payments are switched off."""
    require("payments")
    s = get_settings()
    return _stripe(
        _secret(s.stripe_secret_key_parameter), _secret(s.stripe_webhook_secret_parameter), s.stripe_api_base
    )
