"""The one place exceptions become HTTP responses: `{"error": {"code", "message"}}`."""

from http import HTTPStatus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from pydantic import ValidationError
from pynamodb.exceptions import PynamoDBException

from bgr_core.platform.dynamodb import table_missing
from bgr_core.platform.errors import DomainError, TableMissing

logger = Logger()
# An unknown path: API Gateway answers it with the same text (template.yaml GatewayResponses).
NO_ROUTE = (
    "no such route; every route is listed at /api/docs"
    " (paths begin /api/background-remover, /api, /v1.0 or /mcp)"
)


def error_response(status: int, code: str, message: str, headers: dict | None = None, **extra) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"code": code, "message": message, **extra}},
        headers=headers,
    )


def _field(error: dict) -> str:
    return ".".join(str(part) for part in error["loc"]) or "body"


def _detail(error: dict) -> dict:
    """loc, the rule broken and its limit (pydantic's ctx), JSON-safe."""
    limits = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, str | int | float | bool)}
    return {"loc": list(error["loc"]), "type": error["type"], **({"limits": limits} if limits else {})}


def _invalid(errors: list[dict]) -> Response:
    """422 whose message names each field, the rule and its limit: `query.wait: Input should be
    less than or equal to 25`."""
    details = [_detail(e) for e in errors]
    if any(e["type"] == "json_invalid" for e in errors):
        return error_response(400, "BAD_REQUEST", "the body is not valid JSON", details=details)
    message = "; ".join(f"{_field(e)}: {e['msg']}" for e in errors[:5])
    if len(errors) > 5:
        message += f"; and {len(errors) - 5} more"
    return error_response(422, "VALIDATION_ERROR", message, details=details)


def body_unreadable(exc: ValueError) -> bool:
    """Powertools' request parsing raises a bare ValueError on a body it cannot read (a multipart
    content type without a boundary, a text part that is not UTF-8): the caller's fault."""
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_globals.get("__name__", "").endswith("openapi_validation")


def register(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(DomainError)
    def domain_error(exc: DomainError) -> Response:
        if exc.status >= 500:
            logger.warning("unavailable", extra={"code": exc.code, "reason": exc.message})
        return error_response(exc.status, exc.code, exc.message, exc.details.get("headers"))

    @app.exception_handler(PynamoDBException)
    def storage_error(exc: PynamoDBException) -> Response:
        """A missing table is a 503 naming it, any other DynamoDB error is ours: answered by the
        app's handler of each (the remove.bg routes register their own shapes)."""
        missing = table_missing(exc)
        lookup = app.exception_handler_manager.lookup_exception_handler
        return lookup(TableMissing)(missing) if missing else lookup(Exception)(exc)

    @app.exception_handler(RequestValidationError)
    def request_invalid(exc: RequestValidationError) -> Response:
        return _invalid(exc.errors())

    @app.exception_handler(ValidationError)
    def model_invalid(exc: ValidationError) -> Response:
        return _invalid(exc.errors())

    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported_content(exc: RequestUnsupportedContentType) -> Response:
        return error_response(415, "UNSUPPORTED_MEDIA_TYPE", "send application/json")

    @app.exception_handler(NotFoundError)
    def no_route(exc: NotFoundError) -> Response:
        return error_response(404, "NOT_FOUND", NO_ROUTE)

    @app.exception_handler(ServiceError)
    def service_error(exc: ServiceError) -> Response:
        return error_response(exc.status_code, HTTPStatus(exc.status_code).name, exc.msg)

    @app.exception_handler(ValueError)
    def malformed(exc: ValueError) -> Response:
        """Any ValueError but Powertools' on an unreadable body is ours."""
        if body_unreadable(exc):
            return error_response(400, "BAD_REQUEST", f"the body cannot be read: {exc}")
        return unexpected(exc)

    @app.exception_handler(Exception)
    def unexpected(exc: Exception) -> Response:
        request_id = app.current_event.request_context.request_id
        logger.exception("unexpected error", extra={"requestId": request_id})
        return error_response(500, "INTERNAL_ERROR", "internal error", requestId=request_id)
