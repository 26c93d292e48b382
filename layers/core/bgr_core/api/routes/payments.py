"""The payment provider's webhook (the payment webhook function): public by design, and nothing
in a request is read before its signature is verified."""

from aws_lambda_powertools.event_handler.router import Router

from bgr_core.api.responses import errors
from bgr_core.api.views import WebhookAck
from bgr_core.money import payment_events, payment_provider

router = Router()


@router.post(
    "/api/payments/stripe/webhook",
    summary="Stripe's events (signed: Stripe-Signature); each applied once, in any order",
    responses=errors(400),
)
def stripe_webhook() -> WebhookAck:
    event = router.current_event
    provider = payment_provider.provider()
    verified = provider.verify((event.decoded_body or "").encode(), event.headers.get("Stripe-Signature"))
    return WebhookAck(outcome=payment_events.handle(verified))
