"""Public price tables, quotes and subscriptions (the pricing function)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import Router

from ... import quotes, subscriptions
from ...config import get_settings
from .. import features
from ..identity import TokenUser, User
from ..paths import BGR
from ..requests import CancelRequest, QuoteRequest, SubscribeRequest
from ..responses import errors
from ..views import PricingTables, Quote, QuoteResponse, SubscriptionResponse, SubscriptionView, respond

router = Router()
subscriptions_on = [features.required("subscriptions")]


@router.get(f"{BGR}/pricing", summary="Tiers, volume discounts and plans (public)")
def pricing() -> PricingTables:
    return PricingTables.current(get_settings().tier_models)


@router.post(
    f"{BGR}/pricing/quote",
    summary="What (tier, imageCount) costs (public); with a valid ID token, after subscription cover",
)
def quote(request: Annotated[QuoteRequest, Body()], user: TokenUser) -> QuoteResponse:
    plan = quotes.quote(user.user_id if user else None, request.tier, request.image_count)
    return QuoteResponse(quote=Quote.of(plan))


def _view(sub) -> SubscriptionView:
    day = subscriptions.today()
    return SubscriptionView.of(sub, subscriptions.is_usable(sub), day, subscriptions.usage(sub, day))


@router.get(
    f"{BGR}/subscription", summary="The caller's subscription and today's usage", middlewares=subscriptions_on
)
def get_subscription(user: User) -> SubscriptionResponse:
    sub = subscriptions.get(user.user_id)
    return SubscriptionResponse(subscription=_view(sub) if sub else None)


@router.post(
    f"{BGR}/subscription",
    summary="Subscribe to a plan paid elsewhere",
    status_code=201,
    responses=errors(400),
    middlewares=subscriptions_on,
)
def subscribe(request: Annotated[SubscribeRequest, Body()], user: User) -> Response[SubscriptionResponse]:
    sub = subscriptions.subscribe(
        user.user_id, request.plan, payment_id=request.payment_id, payment_method=request.payment_method
    )
    return respond(SubscriptionResponse(subscription=_view(sub)), 201)


@router.delete(
    f"{BGR}/subscription",
    summary="Cancel (usable until currentPeriodEnd)",
    responses=errors(404),
    middlewares=subscriptions_on,
)
def cancel(user: User, request: Annotated[CancelRequest | None, Body()] = None) -> SubscriptionResponse:
    sub = subscriptions.cancel(user.user_id, request.reason if request else None)
    return SubscriptionResponse(subscription=_view(sub))
