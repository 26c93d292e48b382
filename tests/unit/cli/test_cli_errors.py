from bgr_cli.client import ApiError
from bgr_cli.main import explain


def test_a_validation_error_is_printed_with_the_field_the_rule_and_the_limit():
    err = ApiError(422, "VALIDATION_ERROR", "body.imageCount: Input should be less than or equal to 500")
    assert explain(err) == (
        "invalid input (VALIDATION_ERROR: body.imageCount: Input should be less than or equal to 500)"
    )


def test_a_rate_limit_says_when_to_retry():
    assert explain(ApiError(429, "RATE_LIMITED", "slow down", retry_after="12")).startswith(
        "rate limited: try again in 12 s"
    )


def test_an_expired_token_is_reported_as_expired_not_as_signed_out():
    assert explain(ApiError(401, "UNAUTHORIZED", "The incoming token has expired")).startswith(
        "your token has expired: get a new one"
    )
    assert explain(ApiError(401, "UNAUTHORIZED", "Unauthorized")).startswith("not signed in")
