"""What the API answers: response views of the domain's records, read from their attributes
(`from_attributes`); presigned links are signed locally, no request is made."""

from datetime import datetime
from typing import Literal

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import Field

from bgr_core.money import subscriptions
from bgr_core.money.account_summary import Stats
from bgr_core.money.charge_decision import ChargePlan
from bgr_core.money.payments import Checkout
from bgr_core.money.pricing import (
    CREDIT_PACKS,
    MAX_BATCH_IMAGES,
    PLANS,
    RUPIAH_PER_CREDIT,
    TIERS,
    VOLUME_DISCOUNTS,
    TierName,
)
from bgr_core.money.subscriptions import ALL_TIERS
from bgr_core.platform import storage
from bgr_core.platform.contract import Schema
from bgr_core.platform.models import Batch, BatchItem, Job, LedgerEntry, Subscription, UsageCounter
from bgr_core.work import batches
from bgr_core.work.output_options import OutputOptions
from bgr_core.work.status import BatchStatus, ItemStatus, JobStatus, ZipStatus


# -- jobs -------------------------------------------------------------------------------------
class WebhookView(Schema):
    event: str
    status: Literal["queued", "delivered", "failed"]
    attempts: int
    last_error: str | None
    delivered_at: datetime | None


class JobView(Schema):
    id: str
    status: JobStatus
    tier: str
    source: str
    filename: str | None
    credits_used: int
    pricing_type: str
    test: bool = Field(False, description="made with a test key: free, preview size, watermarked")
    model_name: str | None
    original_size: int | None
    processed_size: int | None
    processing_time: int | None = Field(None, description="milliseconds")
    error_code: str | None
    error_message: str | None
    options: OutputOptions
    created_at: str
    completed_at: datetime | None
    refunded_at: datetime | None = Field(
        None, description="when a failed job's credits (or quota) were given back"
    )
    upload_deadline: datetime | None = Field(None, description="the original must be uploaded by then")
    result_url: str | None = Field(None, description="presigned download, once completed")
    thumbnail_url: str | None = None
    callback_url: str | None = None
    webhook: WebhookView | None = Field(None, description="delivery of the final state to callbackUrl")

    @classmethod
    def of(cls, job: Job) -> "JobView":
        done = job.status == JobStatus.COMPLETED
        links = {
            "result_url": _link(done and job.result_key),
            "thumbnail_url": _link(done and job.thumbnail_key),
        }
        return cls.model_validate(job, from_attributes=True).model_copy(update=links)


def _link(key: str | None) -> str | None:
    return storage.presigned_download(key) if key else None


def _int(value) -> int | None:
    return None if value is None else int(value)


class Upload(Schema):
    url: str
    fields: dict[str, str]
    expires_at: str


class JobResponse(Schema):
    job: JobView


class JobUploadResponse(Schema):
    job: JobView
    upload: Upload


class JobList(Schema):
    jobs: list[JobView]
    next_cursor: str | None


# -- batches ----------------------------------------------------------------------------------
class BatchView(Schema):
    id: str
    status: BatchStatus
    tier: str
    source: str
    total_images: int
    processed_images: int
    failed_images: int
    progress_percentage: int = 0
    original_price: int
    discount_percentage: int
    final_price: int
    credits_charged: int
    covered_by_subscription: int
    credits_refunded: int
    options: OutputOptions
    zip_status: ZipStatus | None
    zip_url: str | None = Field(None, description="presigned download of the ZIP, once ready")
    estimated_duration: int | None = Field(None, description="seconds until every image is processed")
    created_at: str
    completed_at: datetime | None
    upload_deadline: datetime | None = Field(None, description="images not uploaded by then are refunded")
    cancelled_at: datetime | None = None
    callback_url: str | None = None
    webhook: WebhookView | None = Field(None, description="delivery of the final state to callbackUrl")

    @classmethod
    def of(cls, batch: Batch) -> "BatchView":
        extra = {
            "progress_percentage": batches.progress_percentage(batch),
            "zip_url": _link(batch.zip_status == ZipStatus.READY and batch.zip_key),
            "estimated_duration": batches.estimated_duration(batch),
        }
        return cls.model_validate(batch, from_attributes=True).model_copy(update=extra)


class BatchItemView(Schema):
    item_index: int
    filename: str
    status: ItemStatus
    pricing_type: str
    credits_used: int = Field(description="this item's share of the batch's charge")
    size_bytes: int | None
    processed_size: int | None
    model_name: str | None
    processing_time: int | None = Field(None, description="milliseconds")
    error_code: str | None
    error_message: str | None
    refunded: bool = Field(description="a failed item's share was given back")
    result_url: str | None = None

    @classmethod
    def of(cls, item: BatchItem) -> "BatchItemView":
        done = item.status == ItemStatus.COMPLETED
        return cls(
            item_index=int(item.index),
            filename=item.filename,
            status=item.status,
            pricing_type=item.pricing_type,
            credits_used=int(item.share),
            size_bytes=_int(item.size_bytes),
            processed_size=_int(item.processed_size),
            model_name=item.model_name,
            processing_time=_int(item.processing_time),
            error_code=item.error_code,
            error_message=item.error_message,
            refunded=bool(item.refunded),
            result_url=_link(done and item.result_key),
        )


class BatchUpload(Schema):
    item_index: int
    filename: str
    url: str
    fields: dict[str, str]
    expires_at: str = Field(description="the form's deadline: an image not uploaded by then is refunded")


class BatchCreated(Schema):
    batch: BatchView
    uploads: list[BatchUpload]


class BatchResponse(Schema):
    batch: BatchView


class BatchItems(Schema):
    batch_id: str
    items: list[BatchItemView]


class BatchList(Schema):
    batches: list[BatchView]
    next_cursor: str | None


# -- pricing ----------------------------------------------------------------------------------
class TierInfo(Schema):
    name: TierName
    credits: int
    price_rp: int
    model: str
    refinement: str


class DiscountBracket(Schema):
    min_images: int
    max_images: int
    percentage: int


class PlanInfo(Schema):
    name: str
    monthly_price_rp: int
    daily_quota: int
    professional_daily_quota: int
    allowed_tiers: list[str]


class PackInfo(Schema):
    name: str
    credits: int
    list_price_rp: int
    discount_percentage: int
    price_rp: int


class PricingTables(Schema):
    rupiah_per_credit: int
    tiers: list[TierInfo]
    discounts: list[DiscountBracket]
    plans: list[PlanInfo]
    packs: list[PackInfo] = Field(description="credit packs: POST /api/credits/checkout {pack}")
    max_batch_images: int

    @classmethod
    def current(cls, tier_models: dict) -> "PricingTables":
        bounds = [low for low, _ in VOLUME_DISCOUNTS[1:]] + [MAX_BATCH_IMAGES + 1]
        return cls(
            rupiah_per_credit=RUPIAH_PER_CREDIT,
            tiers=[
                TierInfo(
                    name=t.name,
                    credits=t.credits,
                    price_rp=t.price_rp,
                    model=tier_models[t.name].model,
                    refinement=tier_models[t.name].refinement,
                )
                for t in TIERS.values()
            ],
            discounts=[
                DiscountBracket(min_images=low, max_images=high - 1, percentage=pct)
                for (low, pct), high in zip(VOLUME_DISCOUNTS, bounds, strict=True)
            ],
            plans=[PlanInfo.model_validate(p, from_attributes=True) for p in PLANS.values()],
            packs=[
                PackInfo(
                    name=p.name,
                    credits=p.credits,
                    list_price_rp=p.list_price_rp,
                    discount_percentage=p.discount_pct,
                    price_rp=p.price_rp,
                )
                for p in CREDIT_PACKS.values()
            ],
            max_batch_images=MAX_BATCH_IMAGES,
        )


class Quote(Schema):
    """originalPrice, discount and finalPrice are the list price of all the images;
    creditsToCharge is what is left to pay once today's subscription quota covers what it can."""

    tier: str
    image_count: int
    credits_per_image: int
    original_price: int
    discount_percentage: int
    discount: int
    final_price: int
    covered_by_subscription: int = Field(description="images today's subscription quota covers")
    credits_to_charge: int

    @classmethod
    def of(cls, plan: ChargePlan) -> "Quote":
        listed = plan.list_price
        return cls(
            tier=plan.tier,
            image_count=plan.image_count,
            credits_per_image=TIERS[plan.tier].credits,
            original_price=listed.base,
            discount_percentage=listed.discount_percentage,
            discount=listed.discount,
            final_price=listed.final,
            covered_by_subscription=plan.covered,
            credits_to_charge=plan.credits,
        )


class QuoteResponse(Schema):
    quote: Quote


# -- subscriptions ----------------------------------------------------------------------------
class TierUsage(Schema):
    removals_count: int
    total_credits_equivalent: int


class TodayUsage(Schema):
    date: str
    used: int
    remaining: int
    professional_used: int
    professional_remaining: int
    by_tier: dict[str, TierUsage]


class SubscriptionView(Schema):
    id: str
    plan: str
    status: str
    usable: bool
    monthly_price: int
    daily_quota: int
    professional_daily_quota: int
    allowed_tiers: list[str]
    subscribed_at: datetime
    current_period_end: datetime
    next_billing_date: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    auto_renew: bool
    last_payment_id: str | None
    payment_method: str | None
    provider: str = Field(description="stripe, or comp (given by an admin)")
    today: TodayUsage | None = None

    @classmethod
    def of(
        cls,
        sub: Subscription,
        usable: bool,
        day: str | None = None,
        usage: dict[str, UsageCounter] | None = None,
    ) -> "SubscriptionView":
        view = cls(
            id=sub.id,
            plan=sub.plan,
            status=sub.status,
            usable=usable,
            monthly_price=int(sub.monthly_price),
            daily_quota=int(sub.daily_quota),
            professional_daily_quota=int(sub.professional_daily_quota),
            allowed_tiers=sorted(sub.allowed_tiers, key=list(TIERS).index),
            subscribed_at=sub.subscribed_at,
            current_period_end=sub.current_period_end,
            next_billing_date=sub.next_billing_date,
            cancelled_at=sub.cancelled_at,
            cancel_reason=sub.cancel_reason,
            auto_renew=bool(sub.auto_renew),
            last_payment_id=sub.last_payment_id,
            payment_method=sub.payment_method,
            provider=sub.provider,
        )
        if day is not None and usage is not None:
            view.today = _today(sub, day, usage)
        return view


def _today(sub: Subscription, day: str, usage: dict[str, UsageCounter]) -> TodayUsage:
    quota = subscriptions.quota_of(sub, usage)
    return TodayUsage(
        date=day,
        used=quota.used_total,
        remaining=quota.remaining,
        professional_used=quota.used_professional,
        professional_remaining=quota.professional_remaining,
        by_tier={
            tier: TierUsage(
                removals_count=int(row.removals_count),
                total_credits_equivalent=int(row.total_credits_equivalent),
            )
            for tier, row in usage.items()
            if tier != ALL_TIERS
        },
    )


class SubscriptionResponse(Schema):
    subscription: SubscriptionView | None


class CheckoutResponse(Schema):
    """Send the payer to `checkout.url`; the plan or the credits arrive with the provider's event."""

    checkout: Checkout


class WebhookAck(Schema):
    received: bool = True
    outcome: str


# -- account ----------------------------------------------------------------------------------
class StatsResponse(Schema):
    stats: Stats


class Balance(Schema):
    balance: int


class LedgerEntryView(Schema):
    seq: int
    delta: int
    reason: str
    reference: str
    balance_after: int
    actor: str
    created_at: datetime
    shortfall: int | None = Field(
        None, description="credits a clawback could not take (the balance was lower)"
    )

    @classmethod
    def of(cls, entry: LedgerEntry) -> "LedgerEntryView":
        return cls.model_validate(entry, from_attributes=True)


class GrantResponse(Schema):
    balance: int
    entry: LedgerEntryView


class Ledger(Schema):
    user_id: str
    balance: int
    entries: list[LedgerEntryView]


class WebhookSecretView(Schema):
    secret: str = Field(description="HMAC-SHA256 key of the X-BGR-Signature header")
    created_at: datetime
    signature_header: str = Field("X-BGR-Signature", description='"t=<unix seconds>,v1=<hex HMAC of t.body>"')


# -- health -----------------------------------------------------------------------------------
class TierModelStatus(Schema):
    model: str
    provisioned: bool
    runs: str = Field(description="the model that will run: the tier's own, or the fallback")


class HealthStatus(Schema):
    status: Literal["healthy", "degraded"]


class Health(HealthStatus):
    missing: list[str]
    tables: dict[str, bool]
    bucket: bool
    queue: bool
    models: dict[str, TierModelStatus]
    models_checked: bool = Field(description="whether model files are visible where this check runs")
    fallback_model: str
    features: dict[str, bool]


def respond(body: Schema, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response with a status other than the route's default (see NOTES: a returned model is 200)."""
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump(mode="json", by_alias=True),
        headers=headers,
    )
