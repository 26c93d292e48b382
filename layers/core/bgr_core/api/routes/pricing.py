"""Public price tables, quotes, subscriptions and checkouts (the pricing function)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import Router

from bgr_core.api import features
from bgr_core.api.identity import Admin, TokenUser, User
from bgr_core.api.paths import BGR, path_id
from bgr_core.api.requests import (
    CancelRequest,
    CompRequest,
    PackCheckoutRequest,
    QuoteRequest,
    SubscribeRequest,
)
from bgr_core.api.responses import errors
from bgr_core.api.views import (
    CheckoutResponse,
    PricingTables,
    Quote,
    QuoteResponse,
    SubscriptionResponse,
    SubscriptionView,
    respond,
)
from bgr_core.money import checkout, quotes, subscriptions
from bgr_core.platform.config import get_settings

router = Router()
subscriptions_on = [features.required("subscriptions")]
payments_on = [features.required("payments")]


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
    return SubscriptionView.of(sub, subscriptions.is_usable(sub), day, subscriptions.usage(sub.user_id, day))


@router.get(
    f"{BGR}/subscription", summary="The caller's subscription and today's usage", middlewares=subscriptions_on
)
def get_subscription(user: User) -> SubscriptionResponse:
    sub = subscriptions.get(user.user_id)
    return SubscriptionResponse(subscription=_view(sub) if sub else None)


@router.post(
    f"{BGR}/subscription",
    summary="Subscribe: a checkout to pay at; the plan is active once the provider says it is paid",
    status_code=201,
    responses=errors(400),
    middlewares=subscriptions_on + payments_on,
)
def subscribe(request: Annotated[SubscribeRequest, Body()], user: User) -> Response[CheckoutResponse]:
    return respond(CheckoutResponse(checkout=checkout.subscribe(user.user_id, request.plan)), 201)


@router.delete(
    f"{BGR}/subscription",
    summary="Cancel at period end (usable until currentPeriodEnd): 202 until the provider confirms",
    responses={**errors(404), 202: {"description": "asked; recorded when the provider confirms"}},
    middlewares=subscriptions_on,
)
def cancel(
    user: User, request: Annotated[CancelRequest | None, Body()] = None
) -> Response[SubscriptionResponse]:
    sub, awaiting = checkout.cancel(user.user_id, request.reason if request else None)
    return respond(SubscriptionResponse(subscription=_view(sub)), 202 if awaiting else 200)


@router.post(
    "/api/credits/checkout",
    summary="Buy a credit pack: a checkout to pay at; the credits arrive once it is paid",
    status_code=201,
    middlewares=payments_on,
)
def buy_credits(request: Annotated[PackCheckoutRequest, Body()], user: User) -> Response[CheckoutResponse]:
    return respond(CheckoutResponse(checkout=checkout.buy(user.user_id, request.pack)), 201)


@router.post(
    "/api/admin/users/<userId>/subscription",
    summary="Comp a plan for some days (admins; recorded with the admin and the reason)",
    status_code=201,
    responses=errors(409),
    middlewares=subscriptions_on,
)
def comp(
    user_id: Annotated[str, path_id("userId")], request: Annotated[CompRequest, Body()], admin: Admin
) -> Response[SubscriptionResponse]:
    sub = subscriptions.comp(
        user_id, request.plan, request.days, admin_id=admin.user_id, reason=request.reason
    )
    return respond(SubscriptionResponse(subscription=_view(sub)), 201)
