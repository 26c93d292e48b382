"""Domain errors. Each carries a stable code and the HTTP status the API maps it to."""


class DomainError(Exception):
    code = "INTERNAL_ERROR"
    status = 500

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(DomainError):
    code, status = "BAD_REQUEST", 400


class Unauthorized(DomainError):
    code, status = "UNAUTHORIZED", 401


class Forbidden(DomainError):
    code, status = "FORBIDDEN", 403


class NotFound(DomainError):
    code, status = "NOT_FOUND", 404


class InsufficientCredits(DomainError):
    code, status = "INSUFFICIENT_CREDITS", 402


class OverBudget(DomainError):
    """The price is above the most the caller said it would spend (`max_credits`): nothing charged."""

    code, status = "MAX_CREDITS_EXCEEDED", 402


class NotAcceptable(DomainError):
    code, status = "NOT_ACCEPTABLE", 406


class Conflict(DomainError):
    code, status = "CONFLICT", 409


class TooLarge(DomainError):
    code, status = "TOO_LARGE", 413


class UnsupportedMedia(DomainError):
    code, status = "UNSUPPORTED_MEDIA_TYPE", 415


class RateLimited(DomainError):
    code, status = "RATE_LIMITED", 429


class ServiceUnavailable(DomainError):
    code, status = "SERVICE_UNAVAILABLE", 503


class TableMissing(ServiceUnavailable):
    code = "TABLE_MISSING"


class FeatureDisabled(ServiceUnavailable):
    code = "FEATURE_DISABLED"


class ModelNotReady(ServiceUnavailable):
    code = "MODEL_NOT_READY"


class InvalidImage(DomainError):
    """An input that will never process, whatever is retried: the job fails and is refunded.

    `code` names the reason (EMPTY_FILE, NOT_AN_IMAGE, CORRUPT_IMAGE, UNSUPPORTED_FORMAT,
    TOO_LARGE, TOO_MANY_PIXELS, BAD_DIMENSIONS); status is what the API answers.
    """

    status = 422

    def __init__(self, code: str, message: str, status: int = 422):
        super().__init__(message)
        self.code = code
        self.status = status
