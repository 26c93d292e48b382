"""Checkouts: subscribing and buying credits go to the payment provider's checkout, and cancelling
asks the provider; none of them changes a plan or a balance (a verified event does that,
bgr_core.money.payment_events)."""

from bgr_core.money import subscriptions
from bgr_core.money.payment_provider import provider
from bgr_core.money.payments import Checkout
from bgr_core.platform.config import get_settings
from bgr_core.platform.models import Subscription


def subscribe(user_id: str, plan: str) -> Checkout:
    """A checkout in subscription mode; the plan is active once its first invoice is paid."""
    subscriptions.terms(plan)
    subscriptions.check_can_subscribe(user_id)
    return provider().subscription_checkout(user_id, plan, get_settings().checkout_return_url)


def buy(user_id: str, pack: str) -> Checkout:
    """A checkout of a credit pack; its credits arrive once it is paid."""
    return provider().pack_checkout(user_id, pack, get_settings().checkout_return_url)


def cancel(user_id: str, reason: str | None) -> tuple[Subscription, bool]:
    """Cancels at period end: a comped plan at once; a paid one by asking the provider, recorded
    when the provider's event confirms it. Returns the subscription and whether it awaits that."""
    sub = subscriptions.require_cancellable(user_id)
    if sub.provider == subscriptions.COMP:
        return subscriptions.cancel_comp(sub, reason), False
    provider().cancel_at_period_end(sub.provider_subscription_id, reason)
    return sub, True
