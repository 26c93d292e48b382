"""Upload deadlines, on a schedule (EventBridge, every minute): jobs and batch items whose upload
never came by its deadline are failed UPLOAD_EXPIRED and refunded (bgr_core.expiry)."""

from bgr_core import observability
from bgr_core.expiry import sweep
from bgr_core.observability import logger


@observability.handler
def handler(event: dict, context) -> dict:
    report = sweep().as_dict()
    if report["jobsExpired"] or report["itemsExpired"]:
        logger.info("expired uploads refunded", extra=report)
    return report
