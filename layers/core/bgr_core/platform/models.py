"""pynamodb models, one per table in template.yaml; table names come from the environment."""

from datetime import UTC, datetime

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.constants import MAP
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from bgr_core.platform.config import get_settings
from bgr_core.work.output_options import OutputOptions

_settings = get_settings()


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Meta:
    region = _settings.region


class CreditAccount(Model):
    """A user's balance and images in flight. `version` increments with every balance change; the
    ledger is keyed by it."""

    class Meta(_Meta):
        table_name = _settings.accounts_table

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    balance = NumberAttribute(default=0)
    version = NumberAttribute(default=0)
    in_flight = NumberAttribute(attr_name="inFlight", default=0)  # images charged, not yet ended
    updated_at = UTCDateTimeAttribute(attr_name="updatedAt", default=utcnow)


class LedgerEntry(Model):
    class Meta(_Meta):
        table_name = _settings.ledger_table

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    seq = NumberAttribute(range_key=True)  # the account version this entry produced
    delta = NumberAttribute()
    reason = UnicodeAttribute()
    reference = UnicodeAttribute()
    balance_after = NumberAttribute(attr_name="balanceAfter")
    actor = UnicodeAttribute()
    created_at = UTCDateTimeAttribute(attr_name="createdAt", default=utcnow)
    # credits a clawback could not take because the balance did not hold them (a refunded pack)
    shortfall = NumberAttribute(null=True)


_RAW_MAP = MapAttribute()  # a map of any JSON-like values


class OptionsAttribute(Attribute[OutputOptions]):
    """The one OutputOptions model, stored as a map under the API's own field names."""

    attr_type = MAP

    def serialize(self, value: OutputOptions) -> dict:
        return _RAW_MAP.serialize(value.model_dump(by_alias=True, exclude_none=True))

    def deserialize(self, value: dict) -> OutputOptions:
        return OutputOptions.model_validate(_RAW_MAP.deserialize(value))


class WebhookAttribute(MapAttribute):
    """A final state's delivery: queued -> delivered | failed, with what each attempt got."""

    event = UnicodeAttribute()  # job.completed, batch.partial, ...
    status = UnicodeAttribute(default="queued")
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(attr_name="lastError", null=True)
    delivered_at = UTCDateTimeAttribute(attr_name="deliveredAt", null=True)


class UserCreatedIndex(GlobalSecondaryIndex):
    """A user's records, newest first (query with scan_index_forward=False)."""

    class Meta:
        index_name = "byUser"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    created_at = UnicodeAttribute(range_key=True, attr_name="createdAt")


class PendingUploadIndex(GlobalSecondaryIndex):
    """Records still waiting for an upload, by deadline. Sparse: only a record waiting for an
    upload carries `uploadShard` (one of a few, so writes spread over partitions)."""

    class Meta:
        index_name = "pendingUploads"
        projection = KeysOnlyProjection()

    upload_shard = UnicodeAttribute(hash_key=True, attr_name="uploadShard")
    upload_deadline = UTCDateTimeAttribute(range_key=True, attr_name="uploadDeadline")


class Job(Model):
    """A single-image removal (API upload or drop folder); batch items live with their batch."""

    class Meta(_Meta):
        table_name = _settings.jobs_table

    id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(attr_name="userId")
    created_at = UnicodeAttribute(attr_name="createdAt")  # ISO-8601 UTC, sorts by time
    by_user = UserCreatedIndex()

    status = UnicodeAttribute(default="pending")
    tier = UnicodeAttribute()
    source = UnicodeAttribute(default="api")  # api | drop
    filename = UnicodeAttribute(null=True)
    credits_used = NumberAttribute(attr_name="creditsUsed", default=0)
    pricing_type = UnicodeAttribute(attr_name="pricingType")
    subscription_id = UnicodeAttribute(attr_name="subscriptionId", null=True)
    usage_date = UnicodeAttribute(attr_name="usageDate", null=True)
    options = OptionsAttribute(default=OutputOptions)
    background_key = UnicodeAttribute(attr_name="backgroundKey", null=True)  # an uploaded bg image
    test = BooleanAttribute(default=False)  # made with a test key: preview size, free, watermarked
    original_key = UnicodeAttribute(attr_name="originalKey")
    original_size = NumberAttribute(attr_name="originalSize", null=True)
    processed_size = NumberAttribute(attr_name="processedSize", null=True)
    result_key = UnicodeAttribute(attr_name="resultKey", null=True)
    thumbnail_key = UnicodeAttribute(attr_name="thumbnailKey", null=True)
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    model_name = UnicodeAttribute(attr_name="modelName", null=True)
    processing_time = NumberAttribute(attr_name="processingTime", null=True)  # milliseconds
    error_code = UnicodeAttribute(attr_name="errorCode", null=True)
    error_message = UnicodeAttribute(attr_name="errorMessage", null=True)
    started_at = UTCDateTimeAttribute(attr_name="startedAt", null=True)
    completed_at = UTCDateTimeAttribute(attr_name="completedAt", null=True)
    refunded_at = UTCDateTimeAttribute(attr_name="refundedAt", null=True)
    upload_deadline = UTCDateTimeAttribute(attr_name="uploadDeadline", null=True)
    upload_shard = UnicodeAttribute(attr_name="uploadShard", null=True)  # set while waiting for it
    pending_uploads = PendingUploadIndex()
    callback_url = UnicodeAttribute(attr_name="callbackUrl", null=True)
    webhook = WebhookAttribute(null=True)  # delivery of the final state to callback_url


class BatchItem(MapAttribute):
    index = NumberAttribute()
    filename = UnicodeAttribute()
    key = UnicodeAttribute()  # the original's S3 key
    status = UnicodeAttribute(default="pending")
    share = NumberAttribute(default=0)  # credits this item paid
    pricing_type = UnicodeAttribute(attr_name="pricingType")
    size_bytes = NumberAttribute(attr_name="sizeBytes", null=True)
    processed_size = NumberAttribute(attr_name="processedSize", null=True)
    result_key = UnicodeAttribute(attr_name="resultKey", null=True)
    model_name = UnicodeAttribute(attr_name="modelName", null=True)
    processing_time = NumberAttribute(attr_name="processingTime", null=True)
    error_code = UnicodeAttribute(attr_name="errorCode", null=True)
    error_message = UnicodeAttribute(attr_name="errorMessage", null=True)
    refunded = BooleanAttribute(default=False)


BATCH_HEADER = "BATCH"
ITEM_GROUP_SIZE = 25  # items per group record: a 500-image batch is 20 records, one transaction


def item_group_key(index: int) -> str:
    return f"ITEMS#{index // ITEM_GROUP_SIZE:03d}"


class Batch(Model):
    """A batch's header record (sk = BATCH) in the batches table."""

    class Meta(_Meta):
        table_name = _settings.batches_table

    id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=BATCH_HEADER)
    user_id = UnicodeAttribute(attr_name="userId")
    created_at = UnicodeAttribute(attr_name="createdAt")
    by_user = UserCreatedIndex()

    status = UnicodeAttribute(default="pending")
    tier = UnicodeAttribute()
    source = UnicodeAttribute(default="api")  # api | an integration app's name
    options = OptionsAttribute(default=OutputOptions)
    total_images = NumberAttribute(attr_name="totalImages")
    processed_images = NumberAttribute(attr_name="processedImages", default=0)
    failed_images = NumberAttribute(attr_name="failedImages", default=0)
    # the completed items' summed processingTime, counted with them: the batch's time per image
    processing_ms = NumberAttribute(attr_name="processingMs", default=0)
    original_price = NumberAttribute(attr_name="originalPrice")
    discount_percentage = NumberAttribute(attr_name="discountPercentage")
    final_price = NumberAttribute(attr_name="finalPrice")
    credits_charged = NumberAttribute(attr_name="creditsCharged")
    covered_by_subscription = NumberAttribute(attr_name="coveredBySubscription", default=0)
    subscription_id = UnicodeAttribute(attr_name="subscriptionId", null=True)
    usage_date = UnicodeAttribute(attr_name="usageDate", null=True)
    credits_refunded = NumberAttribute(attr_name="creditsRefunded", default=0)
    # set when the batch settles: the images that arrived, which its final price is decided by
    arrived_images = NumberAttribute(attr_name="arrivedImages", null=True)
    zip_status = UnicodeAttribute(attr_name="zipStatus", null=True)  # building | ready | failed
    zip_key = UnicodeAttribute(attr_name="zipKey", null=True)
    zip_size = NumberAttribute(attr_name="zipSize", null=True)
    zip_error = UnicodeAttribute(attr_name="zipError", null=True)
    completed_at = UTCDateTimeAttribute(attr_name="completedAt", null=True)
    cancelled_at = UTCDateTimeAttribute(attr_name="cancelledAt", null=True)
    upload_deadline = UTCDateTimeAttribute(attr_name="uploadDeadline", null=True)
    upload_shard = UnicodeAttribute(attr_name="uploadShard", null=True)  # set while items may wait
    pending_uploads = PendingUploadIndex()
    callback_url = UnicodeAttribute(attr_name="callbackUrl", null=True)
    webhook = WebhookAttribute(null=True)  # delivery of the final state to callback_url


class BatchItemGroup(Model):
    """Up to ITEM_GROUP_SIZE items of a batch (sk = ITEMS#nnn) in the batches table."""

    class Meta(_Meta):
        table_name = _settings.batches_table

    id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    items = ListAttribute(of=BatchItem, default=list)


class Subscription(Model):
    """One subscription per user. Only a verified payment event (bgr_core.money.payment_events) or
    an admin's comp makes it active; `provider` says which."""

    class Meta(_Meta):
        table_name = _settings.subscriptions_table

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    id = UnicodeAttribute()
    plan = UnicodeAttribute()
    status = UnicodeAttribute()  # active | past_due | cancelled | expired
    monthly_price = NumberAttribute(attr_name="monthlyPrice")
    daily_quota = NumberAttribute(attr_name="dailyQuota")
    professional_daily_quota = NumberAttribute(attr_name="professionalDailyQuota")
    allowed_tiers = UnicodeSetAttribute(attr_name="allowedTiers")
    subscribed_at = UTCDateTimeAttribute(attr_name="subscribedAt")
    current_period_end = UTCDateTimeAttribute(attr_name="currentPeriodEnd")
    next_billing_date = UTCDateTimeAttribute(attr_name="nextBillingDate", null=True)
    cancelled_at = UTCDateTimeAttribute(attr_name="cancelledAt", null=True)
    cancel_reason = UnicodeAttribute(attr_name="cancelReason", null=True)
    auto_renew = BooleanAttribute(attr_name="autoRenew", default=True)
    last_payment_id = UnicodeAttribute(attr_name="lastPaymentId", null=True)
    payment_method = UnicodeAttribute(attr_name="paymentMethod", null=True)
    provider = UnicodeAttribute(default="stripe")  # stripe | comp
    provider_subscription_id = UnicodeAttribute(attr_name="providerSubscriptionId", null=True)
    provider_customer_id = UnicodeAttribute(attr_name="providerCustomerId", null=True)
    # the provider's time (event.created, unix s) of the newest event applied: an older one that
    # arrives late never undoes a newer one
    provider_event_at = NumberAttribute(attr_name="providerEventAt", default=0)
    comped_by = UnicodeAttribute(attr_name="compedBy", null=True)
    comp_reason = UnicodeAttribute(attr_name="compReason", null=True)
    version = NumberAttribute(default=0)  # every change is conditioned on the version read


class UsageCounter(Model):
    """Usage per (user, day, tier); the tier `all` row holds the day's total. Keyed by the user, not
    by a subscription, so that a new subscription the same day never brings a new day's quota."""

    class Meta(_Meta):
        table_name = _settings.usage_table

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    day_tier = UnicodeAttribute(range_key=True, attr_name="dayTier")  # "2026-11-22#standard"
    removals_count = NumberAttribute(attr_name="removalsCount", default=0)
    total_credits_equivalent = NumberAttribute(attr_name="totalCreditsEquivalent", default=0)
    expires_at = NumberAttribute(attr_name="expiresAt", null=True)  # TTL


class PaymentEvent(Model):
    """A payment provider's event, recorded in the transaction that applies it: its id's
    conditional put is what makes a redelivery change nothing."""

    class Meta(_Meta):
        table_name = _settings.payment_events_table

    id = UnicodeAttribute(hash_key=True)  # evt_...
    type = UnicodeAttribute()
    outcome = UnicodeAttribute()  # what it did: activated, renewed, granted, ignored: <why> ...
    user_id = UnicodeAttribute(attr_name="userId", null=True)
    created = NumberAttribute()  # the provider's event time (unix s)
    received_at = UTCDateTimeAttribute(attr_name="receivedAt", default=utcnow)
    expires_at = NumberAttribute(attr_name="expiresAt")  # TTL: longer than the provider retries


class PackPayment(Model):
    """A credit pack's payment, keyed by the provider's payment (a PaymentIntent id): the paid
    checkout and the charge's refunds both name it, whichever arrives first."""

    class Meta(_Meta):
        table_name = _settings.payments_table

    id = UnicodeAttribute(hash_key=True)  # pi_...
    user_id = UnicodeAttribute(attr_name="userId", null=True)
    pack = UnicodeAttribute(null=True)
    credits = NumberAttribute(default=0)  # the pack's credits
    checkout_id = UnicodeAttribute(attr_name="checkoutId", null=True)  # cs_...: the grant's reference
    amount = NumberAttribute(null=True)  # what was paid, in the currency's minor unit
    amount_refunded = NumberAttribute(attr_name="amountRefunded", default=0)
    granted = NumberAttribute(default=0)  # credits added to the balance
    clawed_back = NumberAttribute(attr_name="clawedBack", default=0)  # credits refunds took (or owed)
    version = NumberAttribute(default=0)


class RateLimitWindow(Model):
    class Meta(_Meta):
        table_name = _settings.rate_limits_table

    key = UnicodeAttribute(hash_key=True)  # "<userId>#<scope>#<window start>"
    count = NumberAttribute(default=0)
    expires_at = NumberAttribute(attr_name="expiresAt")  # TTL


class ApiKeyUserIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "byUser"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    created_at = UTCDateTimeAttribute(range_key=True, attr_name="createdAt")


class ApiKey(Model):
    """An API key (`X-Api-Key`), stored by the SHA-256 of the key: the key itself is never stored."""

    class Meta(_Meta):
        table_name = _settings.api_keys_table

    key_hash = UnicodeAttribute(hash_key=True, attr_name="keyHash")
    id = UnicodeAttribute()  # public: names the key in the API
    user_id = UnicodeAttribute(attr_name="userId")
    name = UnicodeAttribute()
    prefix = UnicodeAttribute()  # the key's first characters, to recognise it
    test = BooleanAttribute(default=False)  # a sandbox key (bgr_test_...): free, watermarked, preview
    created_at = UTCDateTimeAttribute(attr_name="createdAt", default=utcnow)
    last_used_at = UTCDateTimeAttribute(attr_name="lastUsedAt", null=True)
    expires_at = UTCDateTimeAttribute(attr_name="expiresAt", null=True)  # None: never
    revoked_at = UTCDateTimeAttribute(attr_name="revokedAt", null=True)
    by_user = ApiKeyUserIndex()


class ApiKeyCount(Model):
    """How many keys a user holds unrevoked, in the keys table under `keys#<userId>` (never a
    key's hash, which is hex; no userId, so never in byUser): the limit's conditional counter."""

    class Meta(_Meta):
        table_name = _settings.api_keys_table

    key_hash = UnicodeAttribute(hash_key=True, attr_name="keyHash")
    active = NumberAttribute(default=0)

    @classmethod
    def of(cls, user_id: str) -> "ApiKeyCount":
        return cls(f"keys#{user_id}")


class WebhookSecret(Model):
    """A user's webhook signing secret (shown and rotated by the API; read to sign deliveries)."""

    class Meta(_Meta):
        table_name = _settings.webhook_secrets_table

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    secret = UnicodeAttribute()
    created_at = UTCDateTimeAttribute(attr_name="createdAt", default=utcnow)


MODELS: tuple[type[Model], ...] = (
    CreditAccount,
    LedgerEntry,
    Job,
    Batch,
    Subscription,
    UsageCounter,
    RateLimitWindow,
    ApiKey,
    WebhookSecret,
    PaymentEvent,
    PackPayment,
)
