"""API keys (`X-Api-Key`) for server-to-server callers: a key acts as the user who created it.

A key is 256 random bits; only its SHA-256 is stored (a key of that entropy needs no slow hash)
and it is looked up by that hash, so the key is shown once, at creation, and never again.
A revoked key is no longer listed and authenticates nothing. A test key (`bgr_test_...`) is a
sandbox: its jobs run the same pipeline at preview size, charge nothing and are watermarked.
A key may expire (`expires_in_days`; none by default): past its expiry it authenticates nothing.
The limit of unrevoked keys is a conditional counter written in the same transaction as the key
(and as its revocation), so concurrent creations never pass it.
"""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError

from bgr_core.platform.dynamodb import get_or_none, transaction
from bgr_core.platform.errors import Conflict, NotFound
from bgr_core.platform.models import ApiKey, ApiKeyCount, utcnow

KEY_PREFIX = "bgr_"
TEST_KEY_PREFIX = "bgr_test_"
SHOWN_CHARACTERS = 8  # of the random part, after the prefix
MAX_ACTIVE_KEYS = 20
LAST_USED_PRECISION = timedelta(minutes=1)  # one write a minute at most, not one per request


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(
    user_id: str,
    name: str,
    now: datetime | None = None,
    expires_in_days: int | None = None,
    *,
    test: bool = False,
) -> tuple[ApiKey, str]:
    """A new key for `user_id` (a test key when `test`): the record and the key itself (the only
    time it exists)."""
    prefix = TEST_KEY_PREFIX if test else KEY_PREFIX
    key = prefix + secrets.token_urlsafe(32)
    now = now or utcnow()
    record = ApiKey(
        _hash(key),
        id=uuid.uuid4().hex[:16],
        user_id=user_id,
        name=name,
        prefix=key[: len(prefix) + SHOWN_CHARACTERS],
        test=test,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    counter = ApiKeyCount.of(user_id)
    try:
        with transaction() as tx:
            tx.update(
                counter,
                actions=[ApiKeyCount.active.add(1)],
                condition=ApiKeyCount.active.does_not_exist() | (ApiKeyCount.active < MAX_ACTIVE_KEYS),
            )
            tx.save(record, condition=ApiKey.key_hash.does_not_exist())
    except TransactWriteError as exc:
        if not _refused(exc):
            raise
        raise Conflict(f"at most {MAX_ACTIVE_KEYS} active keys; revoke one first") from exc
    return record, key


def _refused(exc: TransactWriteError) -> bool:
    return exc.cause_response_code == "TransactionCanceledException" and any(
        r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons or ()
    )


def list_for_user(user_id: str) -> list[ApiKey]:
    """The user's active keys, newest first."""
    return [k for k in ApiKey.by_user.query(user_id, scan_index_forward=False) if k.revoked_at is None]


def revoke(user_id: str, key_id: str) -> ApiKey:
    """Revokes one of the user's keys (404 when it is not theirs or already revoked), freeing its
    place under the limit in the same transaction."""
    record = next((k for k in list_for_user(user_id) if k.id == key_id), None)
    if record is None:
        raise NotFound(f"no active key {key_id}")
    try:
        with transaction() as tx:
            tx.update(
                record,
                actions=[ApiKey.revoked_at.set(utcnow())],
                condition=ApiKey.revoked_at.does_not_exist(),
            )
            tx.update(ApiKeyCount.of(user_id), actions=[ApiKeyCount.active.add(-1)])
    except TransactWriteError as exc:
        if not _refused(exc):
            raise
        raise NotFound(f"no active key {key_id}") from exc
    return record


def authenticate(key: str, now: datetime | None = None) -> ApiKey | None:
    """The active key record for `key`, its last use recorded; None for anything else."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    record = get_or_none(ApiKey, _hash(key))
    now = now or utcnow()
    if record is None or record.revoked_at is not None or (record.expires_at and now >= record.expires_at):
        return None
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_PRECISION:
        record.update(actions=[ApiKey.last_used_at.set(now)])
    return record
