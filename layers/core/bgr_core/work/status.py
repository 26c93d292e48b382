"""Every status a job, batch item, batch and batch ZIP can be in, with the open and final sets
each is decided by: the one definition the API's document (and from it the web app and CLI) shows."""

from enum import StrEnum


class JobStatus(StrEnum):
    PENDING = "pending"  # charged; its original is still to come, or to be started
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"  # refunded, unless it was never charged (a refused drop)


class ItemStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"  # its share refunded


class BatchStatus(StrEnum):
    PENDING = "pending"  # no item started yet
    PROCESSING = "processing"
    COMPLETED = "completed"  # every item completed
    PARTIAL = "partial"  # some completed, some failed
    FAILED = "failed"  # every item failed: no ZIP


class ZipStatus(StrEnum):
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"  # the results stay downloadable one by one; a rerun may build it


JOB_OPEN = (JobStatus.PENDING, JobStatus.PROCESSING)
JOB_FINAL = (JobStatus.COMPLETED, JobStatus.FAILED)
ITEM_OPEN = (ItemStatus.PENDING, ItemStatus.PROCESSING)
ITEM_FINAL = (ItemStatus.COMPLETED, ItemStatus.FAILED)
BATCH_OPEN = (BatchStatus.PENDING, BatchStatus.PROCESSING)
BATCH_FINAL = (BatchStatus.COMPLETED, BatchStatus.PARTIAL, BatchStatus.FAILED)
BATCH_ZIPPED = (BatchStatus.COMPLETED, BatchStatus.PARTIAL)  # the final statuses with a ZIP to build
ZIP_FINAL = (ZipStatus.READY, ZipStatus.FAILED)
