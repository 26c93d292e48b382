"""Every status a job, batch item, batch and batch ZIP can be in, with the open and final sets
each is decided by: the one definition the API's document (and from it the web app and CLI) shows.
Each status's schema in the document names its sets (`x-open`, `x-final`)."""

from enum import StrEnum


class _Status(StrEnum):
    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler) -> dict:
        schema = handler(core_schema)
        opened, final = SETS[cls]
        return {**schema, "x-open": list(opened), "x-final": list(final)}


class JobStatus(_Status):
    PENDING = "pending"  # charged; its original is still to come, or to be started
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"  # refunded, unless it was never charged (a refused drop)


class ItemStatus(_Status):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"  # its share refunded


class BatchStatus(_Status):
    PENDING = "pending"  # no item started yet
    PROCESSING = "processing"
    COMPLETED = "completed"  # every item completed
    PARTIAL = "partial"  # some completed, some failed
    FAILED = "failed"  # every item failed: no ZIP


class ZipStatus(_Status):
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
ZIP_OPEN = (ZipStatus.BUILDING,)
ZIP_FINAL = (ZipStatus.READY, ZipStatus.FAILED)

SETS = {
    JobStatus: (JOB_OPEN, JOB_FINAL),
    ItemStatus: (ITEM_OPEN, ITEM_FINAL),
    BatchStatus: (BATCH_OPEN, BATCH_FINAL),
    ZipStatus: (ZIP_OPEN, ZIP_FINAL),
}
