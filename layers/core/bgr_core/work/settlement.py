"""Settling a batch's items: pending -> processing -> completed | failed.

An item's outcome is one transaction through credits.apply: the item inside its group record
(conditioned on the item's status), the header's counters (conditioned on the counts read, so
exactly one settlement sees the batch finish) and, for a failed item, its refund. A refusal is
decided again from what is stored now. The commits here are work.lifecycle.end_item's: it emits,
and starts the ZIP (or ends the batch) when the settlement counted the last item.
"""

from collections.abc import Callable

from bgr_core.money import credits, job_charges
from bgr_core.money.charge_decision import NEVER_ARRIVED, ItemOutcome, Settlement, settle_batch
from bgr_core.money.credits import Change
from bgr_core.money.pricing import TIERS
from bgr_core.platform.dynamodb import Write, applied, get_or_none, update
from bgr_core.platform.errors import NotFound
from bgr_core.platform.models import (
    BATCH_HEADER,
    ITEM_GROUP_SIZE,
    Batch,
    BatchItem,
    BatchItemGroup,
    item_group_key,
    utcnow,
)
from bgr_core.work import zip_workflow
from bgr_core.work.status import BATCH_FINAL, BATCH_ZIPPED, ITEM_OPEN, BatchStatus, ItemStatus, ZipStatus

# (the batch as the settlement read it, with its new status): what a commit returns
Settled = tuple[Batch, BatchStatus]


def _header(batch_id: str) -> Batch | None:
    return get_or_none(Batch, batch_id, BATCH_HEADER)


def _group(batch_id: str, index: int) -> BatchItemGroup:
    return BatchItemGroup(batch_id, item_group_key(index))


def _slot(index: int):
    """The item's path inside its group record's list."""
    return BatchItemGroup.items[index % ITEM_GROUP_SIZE]


def _item(batch_id: str, index: int) -> BatchItem | None:
    group = get_or_none(BatchItemGroup, batch_id, item_group_key(index))
    if group is None:
        return None
    position = index % ITEM_GROUP_SIZE
    return group.items[position] if position < len(group.items) else None


def start_item(batch_id: str, index: int, *, batch_pending: bool = True) -> BatchItem | None:
    """pending -> processing (a redelivery of an item whose worker died may start it again): the
    item as started (its declared size, which its upload form admits no more than), or None when
    it is settled or unknown. The batch becomes processing with its first item; a caller that read
    the batch past pending says so (`batch_pending` False), and the header is left alone: a batch
    never goes back to pending."""
    slot, group = _slot(index), _group(batch_id, index)
    started = applied(
        lambda: group.update(
            actions=[slot.status.set(ItemStatus.PROCESSING)], condition=slot.status.is_in(*ITEM_OPEN)
        )
    )
    if not started:
        batch = _header(batch_id)
        if batch is not None:
            zip_workflow.start(batch)  # in case the settling worker died between its commit and the start
        return None
    if batch_pending:
        applied(
            lambda: Batch(batch_id, BATCH_HEADER).update(
                actions=[Batch.status.set(BatchStatus.PROCESSING)],
                condition=Batch.status == BatchStatus.PENDING,
            )
        )
    return group.items[index % ITEM_GROUP_SIZE]  # the update returned the group as it now is


def commit_completed_item(
    batch_id: str, index: int, *, result_key: str, processed_size: int, model_name: str, processing_time: int
) -> Settled | None:
    """processing -> completed with the result's fields, counted on the batch in the same write;
    None when the item is not processing (settled meanwhile)."""
    slot = _slot(index)
    completed = update(
        _group(batch_id, index),
        [
            slot.status.set(ItemStatus.COMPLETED),
            slot.result_key.set(result_key),
            slot.processed_size.set(processed_size),
            slot.model_name.set(model_name),
            slot.processing_time.set(processing_time),
        ],
        slot.status == ItemStatus.PROCESSING,
    )
    return _settle(
        batch_id,
        index,
        ItemStatus.COMPLETED,
        (ItemStatus.PROCESSING,),
        lambda batch, item: Change(batch.user_id, 0, writes=[completed], in_flight=-1),
        measured_ms=processing_time,
    )


def commit_failed_item(
    batch_id: str, index: int, code: str, message: str, only: tuple[str, ...] = ITEM_OPEN
) -> Settled | None:
    """Marks an item failed and refunds its share (credits, or quota) in the same transaction,
    once: None when it was already settled (or is in none of the statuses `only` allows). An
    image that never arrived (NEVER_ARRIVED) gives its quota back now and its credits when the
    batch settles, re-priced at the bracket of what arrived (so no refund is ever taken back)."""
    slot = _slot(index)
    arrived = code not in NEVER_ARRIVED
    failed = update(
        _group(batch_id, index),
        [
            slot.status.set(ItemStatus.FAILED),
            slot.error_code.set(code),
            slot.error_message.set(message[:1000]),
            slot.refunded.set(True),
        ],
        slot.status.is_in(*only) & (slot.refunded == False),  # noqa: E712
    )

    def refund(batch: Batch, item: BatchItem) -> Change:
        share = int(item.share) if arrived else 0
        paid = (item.pricing_type, batch.usage_date, batch.tier)
        return job_charges.refund(batch.user_id, share, f"batch:{batch_id}#{index}", paid, [failed])

    return _settle(batch_id, index, ItemStatus.FAILED, only, refund, code)


def _settle(
    batch_id: str,
    index: int,
    outcome: ItemStatus,
    settleable: tuple[str, ...],
    change: Callable[[Batch, BatchItem | None], Change],  # None: a completion's first attempt
    code: str | None = None,
    measured_ms: int = 0,
) -> Settled | None:
    """Writes one item's `change` with the header's counts; None when the item is not (or no
    longer) in a `settleable` status. The settlement of the last item re-prices the batch by the
    images that arrived and refunds the difference in the same transaction."""

    def decide(attempt: int) -> Change | None:
        batch = _header(batch_id)
        # A completion's own write is conditioned on the item being processing, so its first
        # attempt need not read the item: a refusal reads it on the next.
        blind = attempt == 0 and outcome == ItemStatus.COMPLETED
        item = None if blind else _item(batch_id, index)
        if batch is None or (item is None and not blind):
            raise NotFound(f"batch {batch_id} has no item {index}")
        if (item is not None and item.status not in settleable) or batch.status in BATCH_FINAL:
            return None
        settled = change(batch, item)
        processed = int(batch.processed_images) + (outcome == ItemStatus.COMPLETED)
        failed = int(batch.failed_images) + (outcome == ItemStatus.FAILED)
        status = _status(int(batch.total_images), processed, failed)
        final = None
        if status in BATCH_FINAL:
            final = _settlement(batch, index, outcome, code)
            if final.refund:
                settled.delta += final.refund
                settled.reason, settled.reference = "settlement", f"batch:{batch_id}"
        count = _count(batch, processed, failed, status, settled.delta, final, measured_ms)
        settled.writes = [*settled.writes, count]
        settled.decided = (batch, status)
        return settled

    settled = credits.apply(decide)
    if settled is None:
        return None
    batch, status = settled.decided
    batch.status = status
    if status in BATCH_ZIPPED:
        batch.zip_status = ZipStatus.BUILDING
    return batch, status


def _settlement(batch: Batch, index: int, outcome: ItemStatus, code: str | None) -> Settlement:
    """The batch re-priced by what arrived, once every item is settled (`index` settling now)."""
    groups = BatchItemGroup.query(batch.id, BatchItemGroup.sk.startswith("ITEMS#"), consistent_read=True)
    outcomes = []
    for item in (item for group in groups for item in group.items):
        failed, item_code = item.status == ItemStatus.FAILED, item.error_code
        if int(item.index) == index:
            failed, item_code = outcome == ItemStatus.FAILED, code
        arrived = not (failed and item_code in NEVER_ARRIVED)
        outcomes.append(ItemOutcome(item.pricing_type, int(item.share), failed, arrived))
    return settle_batch(TIERS[batch.tier].credits, outcomes)


def _count(
    batch: Batch,
    processed: int,
    failed: int,
    status: BatchStatus,
    refunded: int,
    final: Settlement | None,
    measured_ms: int,
) -> Write:
    """The header's new counts (and a completed item's processing time), conditioned on the counts
    read; once settled, its prices as re-priced by the images that arrived."""
    actions = [
        Batch.processed_images.set(processed),
        Batch.failed_images.set(failed),
        Batch.status.set(status),
    ]
    if measured_ms:
        actions.append(Batch.processing_ms.add(measured_ms))
    if final is not None:
        actions += [
            Batch.arrived_images.set(final.arrived),
            Batch.original_price.set(final.listed.base),
            Batch.discount_percentage.set(final.listed.discount_percentage),
            Batch.final_price.set(final.listed.final),
        ]
    if refunded:
        actions.append(Batch.credits_refunded.add(refunded))
    if status in BATCH_ZIPPED:
        actions.append(Batch.zip_status.set(ZipStatus.BUILDING))
    elif status == BatchStatus.FAILED:
        actions.append(Batch.completed_at.set(utcnow()))  # nothing to zip
    condition = (Batch.processed_images == batch.processed_images) & (
        Batch.failed_images == batch.failed_images
    )
    return update(batch, actions, condition)


def _status(total: int, processed: int, failed: int) -> BatchStatus:
    if processed + failed < total:
        return BatchStatus.PROCESSING
    if failed == total:
        return BatchStatus.FAILED
    return BatchStatus.PARTIAL if failed else BatchStatus.COMPLETED
