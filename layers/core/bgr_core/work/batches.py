"""Batches: created with their charge (from uploads to come, or from an integration app's stored
images), and read. Their items are ended by work.lifecycle (settled by bgr_core.work.settlement), which
starts the ZIP workflow (bgr_core.work.zip_workflow) with the last one."""

import math
import mimetypes
import posixpath
import uuid
from collections.abc import Callable
from functools import partial

from botocore.exceptions import ClientError
from pydantic import Field

from bgr_core.integrations import backgrounds, webhooks
from bgr_core.money import job_charges
from bgr_core.money.pricing import MAX_BATCH_IMAGES, TIERS
from bgr_core.platform import aws_clients, features, storage
from bgr_core.platform.config import get_settings
from bgr_core.platform.contract import Schema
from bgr_core.platform.dynamodb import get_or_none, owned, page_by_user
from bgr_core.platform.errors import BadRequest, NotFound, TooLarge, UnsupportedMedia
from bgr_core.platform.models import BATCH_HEADER, Batch, BatchItem, BatchItemGroup, utcnow
from bgr_core.work import lifecycle, upload_deadlines
from bgr_core.work.output_options import OutputOptions

MAX_BATCH_BYTES = 2 * 1024**3


class ImageSpec(Schema):
    """One image of a batch, as the client declares it before uploading (the API's request shape
    too); create() refuses a type we cannot read (415) and a size over the limit (413)."""

    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(description=", ".join(storage.IMAGE_CONTENT_TYPES))
    size_bytes: int = Field(
        gt=0,
        description=f"at most {storage.MAX_IMAGE_BYTES} bytes ({storage.megabytes(storage.MAX_IMAGE_BYTES)})",
    )


# -- creating -----------------------------------------------------------------------------
def _check(tier: str, images: list[ImageSpec]) -> None:
    if tier not in TIERS:
        raise BadRequest(f"unknown tier {tier!r}; tiers: {', '.join(TIERS)}")
    if not 1 <= len(images) <= MAX_BATCH_IMAGES:
        raise BadRequest(f"a batch holds 1-{MAX_BATCH_IMAGES} images, not {len(images)}")
    for image in images:
        storage.check_declared(image.content_type, image.size_bytes)
    if sum(image.size_bytes for image in images) > MAX_BATCH_BYTES:
        raise TooLarge(f"a batch holds at most {storage.megabytes(MAX_BATCH_BYTES)}")


def create(
    user_id: str,
    tier: str,
    images: list[ImageSpec],
    *,
    options: OutputOptions,
    source: str = "api",
    callback_url: str | None = None,
    max_credits: int | None = None,
) -> tuple[Batch, list[BatchItem]]:
    """A pending batch and its items, written together with the charge (quota first, then credits
    at the batch's volume discount): a refused charge (or one above `max_credits`) leaves nothing
    behind."""
    features.require("batch")
    _check(tier, images)
    backgrounds.check(options)
    webhooks.check_callback_url(callback_url)
    batch_id = uuid.uuid4().hex
    batch = Batch(
        batch_id,
        BATCH_HEADER,
        user_id=user_id,
        created_at=utcnow().isoformat(),
        tier=tier,
        source=source,
        options=options,
        total_images=len(images),
        callback_url=callback_url,
    )
    upload_deadlines.await_upload(batch)
    items = [
        BatchItem(
            index=index,
            filename=storage.safe_filename(image.filename),
            key=storage.batch_item_key(user_id, batch_id, index, image.filename),
            size_bytes=image.size_bytes,
            pricing_type="credit",
        )
        for index, image in enumerate(images)
    ]
    job_charges.charge_new_batch(batch, items, max_credits)
    return batch, items


def _content_type(name: str) -> str | None:
    """The image type a file name says (JPEG, PNG or WebP), or None."""
    guessed = mimetypes.guess_type(name)[0]
    return guessed if guessed in storage.IMAGE_CONTENT_TYPES else None


def upload_forms(batch: Batch, items: list[BatchItem]) -> list[dict]:
    """One presigned POST per item, valid until the batch's upload deadline:
    [{itemIndex, filename, url, fields, expiresAt}]."""
    forms = []
    for item in items:
        post = storage.presigned_upload(
            item.key, _content_type(item.filename) or "image/png", int(item.size_bytes), batch.upload_deadline
        )
        forms.append({"itemIndex": item.index, "filename": item.filename, **post})
    return forms


def create_from_app(
    user_id: str,
    app: str,
    tier: str,
    *,
    options: OutputOptions,
    keys: list[str] | None = None,
    callback_url: str | None = None,
) -> Batch:
    """A batch of the images `app` stored for this user (all of them, or the named `keys`), charged
    like any batch, then copied server-side to their batches/ keys so the usual S3 -> SQS ->
    inference path processes them. Only the user's own prefix of that app is ever listed."""
    features.require("integrations")
    if app not in storage.INTEGRATION_APPS:
        raise NotFound(f"unknown app {app!r}")
    prefix = storage.app_prefix(app, user_id)
    stored = _stored_images(prefix)
    if keys is not None:
        wanted = [key if key.startswith(prefix) else prefix + key for key in keys]
        missing = [key for key in wanted if key not in stored]
        if missing:
            raise NotFound(f"{len(missing)} of the named images are not stored for this user: {missing[:3]}")
        stored = {key: stored[key] for key in wanted}
    sources: dict[str, ImageSpec] = {}
    for key, size in stored.items():
        content_type = _content_type(key)
        if content_type is None:
            if keys is not None:
                raise UnsupportedMedia(f"{key} is not a JPEG, PNG or WebP image")
            continue
        sources[key] = ImageSpec(filename=posixpath.basename(key), content_type=content_type, size_bytes=size)
    if not sources:
        raise BadRequest(f"{app} has stored no images for this user")
    batch, items = create(
        user_id, tier, list(sources.values()), options=options, source=app, callback_url=callback_url
    )
    store_originals(batch, items, [partial(copy_original, source) for source in sources], f"{app}'s image")
    return batch


def copy_original(source: str, key: str) -> None:
    """Copies a stored image to `key`, server-side."""
    bucket = get_settings().bucket_name
    aws_clients.client("s3").copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": source})


def store_originals(
    batch: Batch, items: list[BatchItem], stores: list[Callable[[str], None]], what: str
) -> None:
    """Puts each item's original at its key (`stores[i](item.key)`), which queues it for
    inference. When one fails, the items not stored are failed COPY_FAILED and refunded (their
    original would never arrive), and the failure is raised."""
    for stored, (store, item) in enumerate(zip(stores, items, strict=True)):
        try:
            store(item.key)
        except ClientError:
            not_stored = lifecycle.Failed("COPY_FAILED", f"could not copy {what} into the batch")
            for left in items[stored:]:
                lifecycle.end_item(batch.id, left.index, not_stored)
            raise


def _stored_images(prefix: str) -> dict[str, int]:
    """Key -> size of every object under `prefix`, in key order."""
    pages = (
        aws_clients.client("s3")
        .get_paginator("list_objects_v2")
        .paginate(Bucket=get_settings().bucket_name, Prefix=prefix)
    )
    return {obj["Key"]: obj["Size"] for page in pages for obj in page.get("Contents", ()) if obj["Size"]}


# -- reading ------------------------------------------------------------------------------
def get(batch_id: str) -> Batch | None:
    return get_or_none(Batch, batch_id, BATCH_HEADER)


def get_for_user(user_id: str, batch_id: str) -> Batch:
    return owned(get(batch_id), user_id, "batch", batch_id)


def items(batch_id: str) -> list[BatchItem]:
    groups = BatchItemGroup.query(batch_id, BatchItemGroup.sk.startswith("ITEMS#"), consistent_read=True)
    return [item for group in groups for item in group.items]


def items_for_user(user_id: str, batch_id: str) -> list[BatchItem]:
    return items(get_for_user(user_id, batch_id).id)


def list_for_user(user_id: str, limit: int = 20, cursor: str | None = None) -> tuple[list[Batch], str | None]:
    return page_by_user(Batch.by_user, user_id, limit, cursor)


def count_for_user(user_id: str) -> int:
    return Batch.by_user.count(user_id)


def progress_percentage(batch: Batch) -> int:
    return int(batch.processed_images + batch.failed_images) * 100 // int(batch.total_images)


def estimated_duration(batch: Batch) -> int:
    """Seconds until every item is settled: the remaining items at the batch's own measured time
    per image (its completed items' average), or at the tier's typical time before any is measured."""
    measured, processed = int(batch.processing_ms or 0), int(batch.processed_images)
    per_image = measured / processed / 1000 if measured and processed else TIERS[batch.tier].seconds_per_image
    remaining = int(batch.total_images - batch.processed_images - batch.failed_images)
    return math.ceil(remaining * per_image)
