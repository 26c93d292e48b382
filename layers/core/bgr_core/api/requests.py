"""What the API reads: the request bodies (request models), validated by the resolver before a
route runs; a 422 names the field, the rule and its limit."""

from typing import Annotated

from pydantic import Field

from bgr_core.money.pricing import MAX_BATCH_IMAGES, PackName, PlanName, TierName
from bgr_core.platform.contract import Schema
from bgr_core.work import batches
from bgr_core.work.output_options import OutputOptions

CallbackUrl = Annotated[
    str | None,
    Field(
        max_length=2048,
        description="https URL (a public address) that receives the final state, signed (see docs/api.md)",
        examples=["https://example.com/hooks/bgr"],
    ),
]


class UploadRequest(Schema):
    tier: TierName
    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: str
    size_bytes: Annotated[int, Field(gt=0)]
    options: OutputOptions = Field(default_factory=OutputOptions)
    callback_url: CallbackUrl = None


class BatchRequest(Schema):
    tier: TierName
    images: Annotated[list[batches.ImageSpec], Field(min_length=1, max_length=MAX_BATCH_IMAGES)]
    options: OutputOptions = Field(default_factory=OutputOptions)
    callback_url: CallbackUrl = None


class IntegrationBatchRequest(Schema):
    tier: TierName
    keys: list[str] | None = Field(
        None, description="objects under the app's prefix; all of them when absent"
    )
    options: OutputOptions = Field(default_factory=OutputOptions)
    callback_url: CallbackUrl = None


class QuoteRequest(Schema):
    tier: TierName
    image_count: Annotated[int, Field(ge=1, le=MAX_BATCH_IMAGES)]


class SubscribeRequest(Schema):
    plan: PlanName


class PackCheckoutRequest(Schema):
    pack: PackName


class CompRequest(Schema):
    plan: PlanName
    days: Annotated[int, Field(ge=1, le=366)]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class CancelRequest(Schema):
    reason: Annotated[str | None, Field(max_length=500)] = None


class GrantRequest(Schema):
    amount: Annotated[int, Field(gt=0, le=10_000_000)]
    reason: Annotated[str, Field(min_length=1, max_length=500)]
