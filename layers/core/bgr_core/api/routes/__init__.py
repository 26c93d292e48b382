"""One Router per area. Routes read the request through `Request`/`Depends`, never through the
router's own state, so the OpenAPI document can include every router in a resolver of its own."""

from aws_lambda_powertools.event_handler.openapi.params import Path

BGR = "/api/background-remover"
# Ids are UUIDs and Cognito subs: a longer one is a 422, not a key DynamoDB refuses (2 KB) with a 500.
MAX_ID_LENGTH = 128


def path_id(alias: str) -> Path:
    return Path(alias=alias, min_length=1, max_length=MAX_ID_LENGTH)


def all_routers():
    """Every function's routers (imported here, late: the account routes serve the document)."""
    from . import account, pricing, upload

    return (upload.router, pricing.router, account.router)
