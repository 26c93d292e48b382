"""DynamoDB plumbing every module shares: transactions, reads, conditional writes, pages, and a
missing table turned into a clear 503 instead of a 500."""

import base64
import binascii
import json
import math
from collections.abc import Callable
from functools import lru_cache

from aws_lambda_powertools import Logger
from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, PynamoDBException, TableDoesNotExist, UpdateError
from pynamodb.transactions import TransactWrite

from bgr_core.platform.config import get_settings
from bgr_core.platform.errors import BadRequest, NotFound, TableMissing

NOT_FOUND = "ResourceNotFoundException"
logger = Logger(child=True)


def table_names() -> dict[str, str]:
    s = get_settings()
    return {
        "jobs": s.jobs_table,
        "batches": s.batches_table,
        "subscriptions": s.subscriptions_table,
        "usage": s.usage_table,
        "creditAccounts": s.accounts_table,
        "creditLedger": s.ledger_table,
        "rateLimits": s.rate_limits_table,
        "idempotency": s.idempotency_table,
        "apiKeys": s.api_keys_table,
        "webhookSecrets": s.webhook_secrets_table,
        "paymentEvents": s.payment_events_table,
        "payments": s.payments_table,
    }


@lru_cache(maxsize=1)
def _connection() -> Connection:
    return Connection(region=get_settings().region)


def transaction() -> TransactWrite:
    """A write transaction (all or nothing, ≤ 100 actions, never two on one item)."""
    return TransactWrite(connection=_connection())


# One write of a transaction, to be made later (bgr_core.money.credits.apply writes a change's list).
Write = Callable[[TransactWrite], None]


def save(record, condition=None) -> Write:
    return lambda tx: tx.save(record, condition=condition)


def update(record, actions: list, condition=None) -> Write:
    return lambda tx: tx.update(record, actions=actions, condition=condition)


def missing_tables() -> list[str]:
    missing = []
    for name in table_names().values():
        try:
            _connection().describe_table(name)  # one client for all (a client each costs ~0.2 s)
        except TableDoesNotExist:
            missing.append(name)
    return missing


def table_missing(exc: BaseException) -> TableMissing | None:
    """DynamoDB's 'resource not found' as TableMissing; None for any other error. Asked once, where
    the API maps errors to HTTP (api.errors), not around every data access; a worker lets the
    error raise, so SQS retries the message and its DLQ ends it. The answer names no table (an
    admin's GET /api/admin/health does); the log does."""
    if not (isinstance(exc, PynamoDBException) and exc.cause_response_code == NOT_FOUND):
        return None
    logger.warning("table missing", extra={"tables": missing_tables() or ["unknown"]})
    return TableMissing("a table this request needs is missing; the service is degraded, retry later")


def encode_cursor(last_evaluated_key: dict | None) -> str | None:
    """An opaque page cursor for a query's last evaluated key (None: no more pages)."""
    return (
        base64.urlsafe_b64encode(json.dumps(last_evaluated_key).encode()).decode()
        if last_evaluated_key
        else None
    )


def decode_cursor(cursor: str | None) -> dict | None:
    if not cursor:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor))
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("invalid cursor") from exc


def get_or_none(model, *key):
    """The record under `key`, read consistently, or None."""
    try:
        return model.get(*key, consistent_read=True)
    except model.DoesNotExist:
        return None


def owned(record, user_id: str, what: str, record_id: str):
    """The user's record; another user's is as absent as a missing one (no existence leak)."""
    if record is None or record.user_id != user_id:
        raise NotFound(f"{what} {record_id} not found")
    return record


def applied(write: Callable[[], object]) -> bool:
    """Runs one conditional write: False when its condition refused it."""
    try:
        write()
        return True
    except (PutError, UpdateError) as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False


def _start_key(index, user_id: str, cursor: str | None) -> dict | None:
    """The page's start key from a cursor this user was given: exactly the index's and table's key
    attributes, each of the type its table defines (a number that parses), under this user.
    Anything else (hand-made, another user's) is a 400, never a query DynamoDB refuses with a 500."""
    start = decode_cursor(cursor)
    if start is None:
        return None
    schemas = (index._get_schema(), index._model._get_schema())
    names = {key["AttributeName"] for schema in schemas for key in schema["key_schema"]}
    types = {d["AttributeName"]: d["AttributeType"] for s in schemas for d in s["attribute_definitions"]}
    hash_key = index._hash_key_attribute().attr_name
    if not (
        isinstance(start, dict)
        and set(start) == names
        and all(_typed(value, types[name]) for name, value in start.items())
        and start[hash_key] == {"S": user_id}
    ):
        raise BadRequest("invalid cursor")
    return start


def _typed(value, attribute_type: str) -> bool:
    """A key value as DynamoDB takes it: `{"S": "..."}` or `{"N": "<a number>"}`, as defined."""
    if not (isinstance(value, dict) and set(value) == {attribute_type}):
        return False
    text = value[attribute_type]
    if not isinstance(text, str) or not text:
        return False
    if attribute_type == "N":
        try:
            return math.isfinite(float(text))
        except ValueError:
            return False
    return True


def page_by_user(index, user_id: str, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """A user's records through a byUser index, newest first, a page at a time (`cursor` comes
    from the previous page)."""
    page = index.query(
        user_id, scan_index_forward=False, limit=limit, last_evaluated_key=_start_key(index, user_id, cursor)
    )
    records = list(page)
    return records, encode_cursor(page.last_evaluated_key)
