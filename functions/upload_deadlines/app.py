"""Upload deadlines, on a schedule (EventBridge, every minute): jobs and batch items whose upload
never came by its deadline are failed UPLOAD_EXPIRED and refunded (bgr_core.work.upload_sweep)."""

from bgr_core.platform import observability
from bgr_core.platform.observability import logger
from bgr_core.work.upload_sweep import sweep


@observability.handler
def handler(event: dict, context) -> dict:
    report = sweep().as_dict()
    if report["jobsExpired"] or report["itemsExpired"]:
        logger.info("expired uploads refunded", extra=report)
    return report
