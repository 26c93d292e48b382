"""Applying verified payment events: the only way a subscription becomes active, renews, lapses or
ends (besides an admin's comp), and the only way bought credits arrive or go back.

Providers deliver at least once and in no order. Each event is applied exactly once: its id is
put, conditioned on not existing, in the same transaction (bgr_core.money.credits.apply) as what it
changes, so a redelivery racing the first delivery finds it recorded and changes nothing. Order
does not matter because each change is decided from what is stored, monotonically: a period is
only ever extended, an ended subscription stays ended, and an event older than the last one
applied to a subscription's state never undoes it. Events for users, plans, packs or payments this
service does not know are recorded and acknowledged (a provider retries anything else for days).

State table (event × stored state -> new state), subscription events matched by the provider's
subscription id (`same`: the stored one; `other`: none stored, or another one):

| event                        | active      | past_due    | cancelled      | expired | other           |
|------------------------------|-------------|-------------|----------------|---------|-----------------|
| checkout.session.completed   | -           | -           | -              | -       | - (awaits inv.) |
| invoice.paid (period end E)  | active, E * | active, E * | cancelled, E * | -       | active, E **    |
| invoice.payment_failed       | past_due    | -           | -              | -       | -               |
| sub.updated: cancel at end   | cancelled   | cancelled   | -              | -       | -               |
| sub.updated: cancel undone   | -           | -           | active         | -       | -               |
| sub.updated: past_due        | past_due    | -           | -              | -       | -               |
| sub.updated: canceled        | expired     | expired     | expired        | -       | -               |
| customer.subscription.deleted| expired     | expired     | expired        | -       | -               |

`*` only when E is later than the stored currentPeriodEnd (else nothing: that period is paid);
the plan becomes the one billed. `**` unless the event is older than the one that set the stored
subscription. `updated` events older than the last applied one change nothing.

Credit packs, by the provider's payment id: a paid checkout grants the pack's credits once
(reference: the checkout id, actor `payment`); a refund takes back the refunded part's credits
once, never below zero, the shortfall recorded on the ledger entry; a refund seen before the
payment is remembered and deducted from the grant.
"""

from datetime import timedelta

from aws_lambda_powertools import Logger

from bgr_core.money import credits, subscriptions
from bgr_core.money.credits import Change
from bgr_core.money.payments import EventKind, ProviderEvent
from bgr_core.money.pricing import CREDIT_PACKS, PLANS
from bgr_core.platform.dynamodb import get_or_none, save
from bgr_core.platform.errors import InsufficientCredits
from bgr_core.platform.models import PackPayment, PaymentEvent, Subscription, utcnow

logger = Logger()

# Stripe retries for three days and resends events up to 30 days old on request.
RETENTION = timedelta(days=45)
ACTOR = "payment"
ENDED_STATUSES = ("canceled", "incomplete_expired")


def handle(event: ProviderEvent) -> str:
    """Applies `event` once; returns what it did (`duplicate` for one already applied)."""
    decided: list[str] = []

    def decide(attempt: int) -> Change | None:
        if attempt and get_or_none(PaymentEvent, event.id) is not None:
            return None
        outcome, change = _decide(event)
        decided[:] = [outcome]
        record = PaymentEvent(
            event.id,
            type=event.provider_type,
            outcome=outcome,
            user_id=event.user_id,
            created=event.created,
            expires_at=int((utcnow() + RETENTION).timestamp()),
        )
        change.writes = [*change.writes, save(record, PaymentEvent.id.does_not_exist())]
        return change

    for _ in range(3):  # a balance spent between the clawback's decision and its write
        try:
            if get_or_none(PaymentEvent, event.id) is not None or credits.apply(decide) is None:
                return "duplicate"
            break
        except InsufficientCredits:
            continue
    else:
        raise InsufficientCredits("the balance keeps changing; the provider will deliver again")
    outcome = decided[0]
    log = logger.warning if outcome.startswith("ignored") else logger.info
    log("payment event", extra={"eventId": event.id, "type": event.provider_type, "outcome": outcome})
    return outcome


def _nothing(why: str, user_id: str | None = None) -> tuple[str, Change]:
    return f"ignored: {why}", Change(user_id or "", 0)


def _decide(event: ProviderEvent) -> tuple[str, Change]:
    match event.kind:
        case EventKind.SUBSCRIPTION_PAID:
            return _paid(event)
        case (
            EventKind.SUBSCRIPTION_PAYMENT_FAILED
            | EventKind.SUBSCRIPTION_UPDATED
            | EventKind.SUBSCRIPTION_ENDED
        ):
            return _changed(event)
        case EventKind.PACK_PAID:
            return _pack_paid(event)
        case EventKind.PACK_REFUNDED:
            return _pack_refunded(event)
        case EventKind.SUBSCRIPTION_CHECKOUT:  # expected, and nothing to do: not a warning
            return "noted: the plan is active once its first invoice is paid", Change(event.user_id or "", 0)
    return _nothing(f"{event.provider_type} is not acted on", event.user_id)


# -- subscriptions ----------------------------------------------------------------------------
def _copy(sub: Subscription) -> Subscription:
    return Subscription.from_raw_data(sub.serialize())


def _paid(event: ProviderEvent) -> tuple[str, Change]:
    user_id = event.user_id
    if not user_id or event.plan not in PLANS or event.period_end is None:
        return _nothing("an invoice of no user or plan of this service", user_id)
    current = subscriptions.get(user_id)
    same = current is not None and current.provider_subscription_id == event.subscription_id
    if same:
        if current.status == "expired":
            return _nothing("that subscription has ended", user_id)
        if event.period_end <= current.current_period_end:
            return _nothing("that period is already paid", user_id)
        sub, outcome = _copy(current), "renewed"
        if sub.status == "past_due":
            sub.status = "active"
        subscriptions.set_plan(sub, event.plan)
        sub.current_period_end = event.period_end
        sub.next_billing_date = event.period_end if sub.auto_renew else None
    else:
        if (
            current is not None
            and current.provider_subscription_id
            and event.created < current.provider_event_at
        ):
            return _nothing("older than the subscription that replaced it", user_id)
        if subscriptions.is_usable(current) and current.status != "cancelled":
            logger.warning(
                "a second subscription replaces a usable one",
                extra={"userId": user_id, "replaced": current.provider_subscription_id or current.provider},
            )
        now = utcnow()
        sub = subscriptions.new_record(
            user_id, event.plan, period_end=event.period_end, provider="stripe", now=now
        )
        sub.next_billing_date = event.period_end
        sub.auto_renew = True
        sub.payment_method = "stripe"
        sub.provider_subscription_id = event.subscription_id
        outcome = "activated"
    sub.last_payment_id = event.payment_id
    sub.provider_customer_id = event.customer_id or sub.provider_customer_id
    sub.provider_event_at = max(int(sub.provider_event_at or 0), event.created)
    return outcome, Change(user_id, 0, writes=[subscriptions.put(sub, current)])


def _changed(event: ProviderEvent) -> tuple[str, Change]:
    """A payment failure, an update or the end of the stored subscription."""
    user_id = event.user_id
    current = subscriptions.get(user_id) if user_id else None
    if current is None or current.provider_subscription_id != event.subscription_id:
        return _nothing("not the user's current subscription", user_id)
    if current.status == "expired":
        return _nothing("that subscription has ended", user_id)
    sub = _copy(current)
    if event.kind == EventKind.SUBSCRIPTION_PAYMENT_FAILED:
        if current.status != "active":
            return _nothing(f"already {current.status}", user_id)
        sub.status = "past_due"
    else:
        if event.kind == EventKind.SUBSCRIPTION_UPDATED and event.created < current.provider_event_at:
            return _nothing("older than the last change applied", user_id)
        status = _status_after(current, event)
        if status == current.status:
            return _nothing(f"already {current.status}", user_id)
        sub.status = status
        if status == "cancelled":
            sub.cancelled_at, sub.cancel_reason = utcnow(), event.cancel_reason
            sub.auto_renew, sub.next_billing_date = False, None
        elif status == "expired":
            sub.auto_renew, sub.next_billing_date = False, None
        elif current.status == "cancelled":  # resumed
            sub.cancelled_at, sub.cancel_reason = None, None
            sub.auto_renew, sub.next_billing_date = True, current.current_period_end
        sub.provider_event_at = max(int(current.provider_event_at or 0), event.created)
    return sub.status, Change(user_id, 0, writes=[subscriptions.put(sub, current)])


def _status_after(current: Subscription, event: ProviderEvent) -> str:
    if event.kind == EventKind.SUBSCRIPTION_ENDED or event.provider_status in ENDED_STATUSES:
        return "expired"
    if event.cancel_at_period_end:
        return "cancelled"
    if current.status == "cancelled":
        return "active"  # the cancellation was withdrawn
    if event.provider_status == "past_due" and current.status == "active":
        return "past_due"
    return current.status


# -- credit packs -----------------------------------------------------------------------------
def _put(payment: PackPayment, read: PackPayment | None):
    condition = PackPayment.id.does_not_exist() if read is None else PackPayment.version == read.version
    payment.version = (int(read.version) if read else 0) + 1
    return save(payment, condition)


def _owed_back(payment: PackPayment) -> int:
    """The credits the refunded part of the payment bought (all of them for a full refund)."""
    amount = int(payment.amount or 0)
    if not amount:
        return 0
    return int(payment.credits) * min(int(payment.amount_refunded), amount) // amount


def _pack_paid(event: ProviderEvent) -> tuple[str, Change]:
    user_id, pack = event.user_id, CREDIT_PACKS.get(event.pack or "")
    if not user_id or pack is None or not event.payment_id:
        return _nothing("a payment of no user or pack of this service", user_id)
    read = get_or_none(PackPayment, event.payment_id)
    if read is not None and read.checkout_id:
        return _nothing("the pack was granted already", user_id)
    payment = PackPayment(
        event.payment_id,
        user_id=user_id,
        pack=pack.name,
        credits=pack.credits,
        checkout_id=event.checkout_id,
        amount=read.amount if read is not None and read.amount else event.amount,
        amount_refunded=read.amount_refunded if read is not None else 0,
    )
    owed = _owed_back(payment)  # a refund delivered before the payment
    payment.granted, payment.clawed_back = pack.credits, owed
    change = Change(
        user_id, pack.credits - owed, "pack_purchase", event.checkout_id, ACTOR, [_put(payment, read)]
    )
    return "granted", change


def _pack_refunded(event: ProviderEvent) -> tuple[str, Change]:
    if not event.payment_id or event.amount_refunded is None:
        return _nothing("a refund of no payment")
    read = get_or_none(PackPayment, event.payment_id)
    if read is None or not read.checkout_id:
        payment = PackPayment(event.payment_id, amount=event.amount)
        payment.amount_refunded = max(int(read.amount_refunded) if read else 0, event.amount_refunded)
        return "refund recorded before its payment", Change("", 0, writes=[_put(payment, read)])
    payment = PackPayment.from_raw_data(read.serialize())
    payment.amount_refunded = max(int(read.amount_refunded), event.amount_refunded)
    take = _owed_back(payment) - int(read.clawed_back)
    if take <= 0:
        return _nothing("that refund was taken back already", read.user_id)
    held = credits.balance(read.user_id)
    taken = min(take, held)
    payment.clawed_back = int(read.clawed_back) + take
    change = Change(
        read.user_id,
        -taken,
        "pack_refund",
        read.checkout_id,
        ACTOR,
        [_put(payment, read)],
        shortfall=take - taken,
    )
    return "taken back" if taken == take else f"taken back, {take - taken} short", change
