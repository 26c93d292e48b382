"""A batch's life (SPEC §3, §5, §6): created with its charge, items processed one by one, and the
item that settles the batch starts the ZIP workflow, once.

Every item settlement is one transaction: the item inside its group record (conditioned on the
item's status) and the header's counters (conditioned on the counts read, so exactly one
settlement sees the batch finish). A failed item is refunded in that same transaction.
"""

import json
import math
import posixpath
import uuid
from collections.abc import Callable

import boto3
from botocore.exceptions import ClientError
from pydantic import Field
from pynamodb.exceptions import TransactWriteError

from . import billing, deadlines, features, storage, webhooks
from .config import get_settings
from .contract import Schema
from .db import applied, get_or_none, owned, page_by_user, transaction
from .errors import BadRequest, NotFound, ServiceUnavailable, TooLarge, UnsupportedMedia
from .models import (
    BATCH_HEADER,
    ITEM_GROUP_SIZE,
    Batch,
    BatchItem,
    BatchItemGroup,
    item_group_key,
    utcnow,
)
from .options import OutputOptions
from .pricing import MAX_BATCH_IMAGES, TIERS

MAX_BATCH_BYTES = 2 * 1024**3
FINAL_STATUSES = ("completed", "partial", "failed")
OPEN_ITEM = ("pending", "processing")
CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


class ImageSpec(Schema):
    """One image of a batch, as the client declares it before uploading (the API's request shape
    too); create() refuses a type we cannot read (415) and a size over the limit (413)."""

    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(description=", ".join(storage.IMAGE_CONTENT_TYPES))
    size_bytes: int = Field(gt=0, description=f"at most {storage.MAX_IMAGE_BYTES} bytes")


# -- creating -----------------------------------------------------------------------------
def _check(tier: str, images: list[ImageSpec]) -> None:
    if tier not in TIERS:
        raise BadRequest(f"unknown tier {tier!r}; tiers: {', '.join(TIERS)}")
    if not 1 <= len(images) <= MAX_BATCH_IMAGES:
        raise BadRequest(f"a batch holds 1-{MAX_BATCH_IMAGES} images, not {len(images)}")
    for image in images:
        storage.check_declared(image.content_type, image.size_bytes)
    if sum(image.size_bytes for image in images) > MAX_BATCH_BYTES:
        raise TooLarge(f"a batch holds at most {MAX_BATCH_BYTES} bytes")


def create(
    user_id: str,
    tier: str,
    images: list[ImageSpec],
    *,
    options: OutputOptions,
    source: str = "api",
    callback_url: str | None = None,
) -> tuple[Batch, list[BatchItem]]:
    """A pending batch and its items, written together with the charge (quota first, then credits
    at the batch's volume discount): a refused charge leaves nothing behind."""
    features.require("batch")
    _check(tier, images)
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
    deadlines.await_upload(batch)
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
    billing.charge_new_batch(batch, items)
    return batch, items


def _content_type(name: str) -> str | None:
    return CONTENT_TYPES.get(posixpath.splitext(name.lower())[1])


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
    bucket = get_settings().bucket_name
    for copied, (source, item) in enumerate(zip(sources, items, strict=True)):
        try:
            storage.s3().copy_object(
                Bucket=bucket, Key=item.key, CopySource={"Bucket": bucket, "Key": source}
            )
        except ClientError:
            # Items whose original never arrives would stay pending forever: refund them now.
            for left in items[copied:]:
                fail_item(batch.id, left.index, "COPY_FAILED", f"could not copy {app}'s image into the batch")
            raise
    return batch


def _stored_images(prefix: str) -> dict[str, int]:
    """Key -> size of every object under `prefix`, in key order."""
    pages = (
        storage.s3()
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


def estimated_duration(batch: Batch, batch_items: list[BatchItem]) -> int:
    """Seconds until every item is settled: the remaining items at the batch's own measured time
    per image (its processed items' average), or at the tier's typical time before any is measured."""
    times = [item.processing_time for item in batch_items if item.processing_time]
    per_image = sum(times) / len(times) / 1000 if times else TIERS[batch.tier].seconds_per_image
    remaining = int(batch.total_images - batch.processed_images - batch.failed_images)
    return math.ceil(remaining * per_image)


# -- processing items (called by the inference function) ----------------------------------
def _group(batch_id: str, index: int) -> BatchItemGroup:
    return BatchItemGroup(batch_id, item_group_key(index))


def _slot(index: int):
    """The item's path inside its group record's list."""
    return BatchItemGroup.items[index % ITEM_GROUP_SIZE]


def declared_size(batch_id: str, index: int) -> int | None:
    """The size the client declared for an item (its upload form admits no more)."""
    item = _item(batch_id, index)
    return None if item is None or item.size_bytes is None else int(item.size_bytes)


def _item(batch_id: str, index: int) -> BatchItem | None:
    group = get_or_none(BatchItemGroup, batch_id, item_group_key(index))
    if group is None:
        return None
    position = index % ITEM_GROUP_SIZE
    return group.items[position] if position < len(group.items) else None


def start_item(batch_id: str, index: int) -> bool:
    """pending -> processing (a redelivery of an item whose worker died may start it again);
    False when the item is settled or unknown. The batch becomes processing with its first item."""
    slot = _slot(index)
    started = applied(
        lambda: _group(batch_id, index).update(
            actions=[slot.status.set("processing")], condition=slot.status.is_in(*OPEN_ITEM)
        )
    )
    if not started:
        batch = get(batch_id)
        if batch is not None:
            _start_zip(batch)  # in case the settling worker died between its commit and the start
        return False
    applied(
        lambda: Batch(batch_id, BATCH_HEADER).update(
            actions=[Batch.status.set("processing")], condition=Batch.status == "pending"
        )
    )
    return True


def complete_item(
    batch_id: str, index: int, *, result_key: str, processed_size: int, model_name: str, processing_time: int
) -> None:
    """processing -> completed with the result's fields, counted on the batch in the same write."""
    slot = _slot(index)
    fields = [
        slot.status.set("completed"),
        slot.result_key.set(result_key),
        slot.processed_size.set(processed_size),
        slot.model_name.set(model_name),
        slot.processing_time.set(processing_time),
    ]

    def write(batch: Batch, item: BatchItem, header_update: Callable) -> bool:
        try:
            with transaction() as tx:
                tx.update(_group(batch_id, index), actions=fields, condition=slot.status == "processing")
                header_update(tx)
            return True
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise
            return False

    _settle(batch_id, index, "completed", write, settleable=("processing",))


def fail_item(batch_id: str, index: int, code: str, message: str, only: tuple[str, ...] = OPEN_ITEM) -> bool:
    """Marks an item failed and refunds its share (credits, or quota) in the same transaction,
    once: False when it was already settled (or is in none of the statuses `only` allows)."""
    slot = _slot(index)

    def write(batch: Batch, item: BatchItem, header_update: Callable) -> bool:
        def mark_failed(tx) -> None:
            tx.update(
                _group(batch_id, index),
                actions=[
                    slot.status.set("failed"),
                    slot.error_code.set(code),
                    slot.error_message.set(message[:1000]),
                    slot.refunded.set(True),
                ],
                condition=slot.status.is_in(*only) & (slot.refunded == False),  # noqa: E712
            )
            header_update(tx, refunded=int(item.share))

        paid_by_quota = item.pricing_type == "subscription"
        return billing.refund(
            batch.user_id,
            credits_paid=int(item.share),
            reference=f"batch:{batch_id}#{index}",
            mark_failed=mark_failed,
            quota=(batch.subscription_id, batch.usage_date, batch.tier) if paid_by_quota else None,
        )

    return _settle(batch_id, index, "failed", write, settleable=only)


def _settle(batch_id: str, index: int, outcome: str, write: Callable, settleable: tuple[str, ...]) -> bool:
    """Writes one item's outcome with the header conditioned on the counts read; a settlement that
    lost the race to another item's reads again. The one that settles the last item starts the ZIP."""
    # Each lost race means another item settled, so this ends within the batch's size.
    for _ in range(MAX_BATCH_IMAGES + 1):
        batch, item = get(batch_id), _item(batch_id, index)
        if batch is None or item is None:
            raise NotFound(f"batch {batch_id} has no item {index}")
        if item.status not in settleable or batch.status in FINAL_STATUSES:
            return False
        processed = int(batch.processed_images) + (outcome == "completed")
        failed = int(batch.failed_images) + (outcome == "failed")
        status = _status(int(batch.total_images), processed, failed)

        def header_update(
            tx, refunded: int = 0, batch=batch, processed=processed, failed=failed, status=status
        ):
            actions = [
                Batch.processed_images.set(processed),
                Batch.failed_images.set(failed),
                Batch.status.set(status),
            ]
            if refunded:
                actions.append(Batch.credits_refunded.add(refunded))
            if status in ("completed", "partial"):
                actions.append(Batch.zip_status.set("building"))
            elif status == "failed":
                actions.append(Batch.completed_at.set(utcnow()))  # nothing to zip
            tx.update(
                batch,
                actions=actions,
                condition=(Batch.processed_images == batch.processed_images)
                & (Batch.failed_images == batch.failed_images),
            )

        if write(batch, item, header_update):
            if status in ("completed", "partial"):
                batch.status, batch.zip_status = status, "building"
                _start_zip(batch)
            elif status == "failed":
                webhooks.batch_finished(batch, status)  # no ZIP to wait for
            return True
    raise ServiceUnavailable(f"batch {batch_id} is too busy to settle item {index} now; retry")


def _status(total: int, processed: int, failed: int) -> str:
    if processed + failed < total:
        return "processing"
    if failed == total:
        return "failed"
    return "partial" if failed else "completed"


# -- the ZIP workflow ---------------------------------------------------------------------
def _start_zip(batch: Batch, name: str | None = None) -> None:
    """Starts the ZIP workflow named after the batch: a duplicate start is harmless (Step Functions
    returns the running execution, or refuses a finished one's name)."""
    if batch.status not in ("completed", "partial") or batch.zip_status != "building":
        return
    sfn = boto3.client("stepfunctions", region_name=get_settings().region)
    try:
        sfn.start_execution(
            stateMachineArn=get_settings().zip_state_machine_arn,
            name=name or batch.id,
            input=json.dumps({"batchId": batch.id}),
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise


def zip_ready(batch_id: str, key: str, size: int) -> None:
    """The batch is done with its ZIP: its final state is announced (webhooks)."""
    batch = Batch(batch_id, BATCH_HEADER)
    batch.update(
        actions=[
            Batch.zip_status.set("ready"),
            Batch.zip_key.set(key),
            Batch.zip_size.set(size),
            Batch.zip_error.remove(),
            Batch.completed_at.set(utcnow()),
        ]
    )
    webhooks.batch_finished(batch, batch.status)


def zip_failed(batch_id: str, error: str) -> None:
    """The workflow gave up: the results stay where they are; rerun() tries again. The batch's
    final state is announced now (zipStatus failed), not again after a rerun."""
    batch = Batch(batch_id, BATCH_HEADER)
    batch.update(actions=[Batch.zip_status.set("failed"), Batch.zip_error.set(error[:1000])])
    webhooks.batch_finished(batch, batch.status)


def rerun_zip(batch_id: str) -> bool:
    """Builds the ZIP of a batch whose workflow failed again, in a fresh execution (names are unique
    per state machine for 90 days). False when its ZIP is not in the failed state."""
    if not applied(
        lambda: Batch(batch_id, BATCH_HEADER).update(
            actions=[Batch.zip_status.set("building")], condition=Batch.zip_status == "failed"
        )
    ):
        return False
    batch = get(batch_id)
    _start_zip(batch, name=f"{batch_id}-rerun-{uuid.uuid4().hex[:8]}")
    return True
