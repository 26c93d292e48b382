"""Upload deadlines, on a schedule (EventBridge, every minute): jobs and batch items whose upload
never came by its deadline are failed UPLOAD_EXPIRED and refunded (bgr_core.expiry)."""

from aws_lambda_powertools import Logger, Tracer

from bgr_core.expiry import sweep

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context) -> dict:
    report = sweep().as_dict()
    if report["jobsExpired"] or report["itemsExpired"]:
        logger.info("expired uploads refunded", extra=report)
    return report
