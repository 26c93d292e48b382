"""What no response body or stored error may carry: AWS's own words about the deployment."""

import re

# ARNs, AWS endpoints and any URL, request ids, botocore's and Lambda's phrasing of a failure
AWS_TEXT = re.compile(
    r"arn:aws|amazonaws\.com|https?://|RequestId|botocore|An error occurred \(|Function not found"
    r"|ResourceNotFound|Could not connect|endpoint",
    re.IGNORECASE,
)


def assert_leaks_nothing(text: str | None, *names: str) -> None:
    """`text` (a body, an errorMessage) carries no AWS error text and none of `names` (physical
    table or function names)."""
    text = text or ""
    found = AWS_TEXT.search(text)
    assert found is None, f"{found.group(0)!r} in {text!r}"
    for name in names:
        assert name not in text, f"{name!r} in {text!r}"
