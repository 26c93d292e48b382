"""The error responses of the API's OpenAPI document: one schema, `{"error": {"code", "message"}}`
, and the statuses a route declares beyond the ones every route of its kind can return
(those `openapi.document` adds from what the route depends on)."""

from http import HTTPStatus

from pydantic import ConfigDict, Field

from bgr_core.api.views import Schema

COMPONENTS = "#/components/schemas/"


class ErrorBody(Schema):
    model_config = ConfigDict(extra="allow")

    code: str = Field(description="stable, machine-readable", examples=["INSUFFICIENT_CREDITS"])
    message: str = Field(
        description="for people; a validation error names the field, the rule and its limit",
        examples=["query.wait: Input should be less than or equal to 25"],
    )


class ErrorResponse(Schema):
    error: ErrorBody


class RemoveBgError(Schema):
    title: str = Field(examples=["Insufficient credits"])
    code: str = Field(examples=["insufficient_credits"])
    detail: str = ""


class RemoveBgErrors(Schema):
    """remove.bg's error shape, which the /v1.0 routes answer in."""

    errors: list[RemoveBgError]


WHY = {
    400: "bad input (invalid JSON, unknown form fields, a cursor that is not yours, a refused URL)",
    401: "no token, or a token that is not valid",
    402: "INSUFFICIENT_CREDITS: nothing was charged or written",
    403: "not allowed (admins only)",
    404: "not found, or not yours",
    406: "the Accept header contradicts the requested format",
    409: "CONFLICT: a limit reached (at most 20 active API keys: revoke one first)",
    413: "too large",
    415: "not a JPEG, PNG or WebP image, or not a content type this route takes",
    422: "VALIDATION_ERROR: the message names the field, the rule and its limit",
    429: "RATE_LIMITED, or TOO_MANY_IN_FLIGHT (the caller's images in flight at the cap): see Retry-After",
    500: "INTERNAL_ERROR, with a request id",
    503: "TABLE_MISSING, FEATURE_DISABLED or MODEL_NOT_READY",
}


def errors(*statuses: int, model: type[Schema] = ErrorResponse) -> dict[int, dict]:
    """`responses=` entries for a route's own error statuses (in `model`'s shape)."""
    return {
        status: {
            "description": WHY.get(status, HTTPStatus(status).phrase),
            "content": {"application/json": {"model": model}},
        }
        for status in statuses
    }
