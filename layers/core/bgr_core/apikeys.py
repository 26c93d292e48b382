"""API keys (`X-Api-Key`) for server-to-server callers: a key acts as the user who created it.

A key is 256 random bits; only its SHA-256 is stored (a key of that entropy needs no slow hash)
and it is looked up by that hash, so the key is shown once, at creation, and never again.
A revoked key is no longer listed and authenticates nothing. A test key (`bgr_test_...`) is a
sandbox: its jobs run the same pipeline at preview size, charge nothing and are watermarked.
"""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from .db import applied, get_or_none
from .errors import Conflict, NotFound
from .models import ApiKey, utcnow

KEY_PREFIX = "bgr_"
TEST_KEY_PREFIX = "bgr_test_"
SHOWN_CHARACTERS = 8  # of the random part, after the prefix
MAX_ACTIVE_KEYS = 20
LAST_USED_PRECISION = timedelta(minutes=1)  # one write a minute at most, not one per request


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(user_id: str, name: str, now: datetime | None = None, *, test: bool = False) -> tuple[ApiKey, str]:
    """A new key for `user_id` (a test key when `test`): the record and the key itself (the only
    time it exists)."""
    if len(list_for_user(user_id)) >= MAX_ACTIVE_KEYS:
        raise Conflict(f"at most {MAX_ACTIVE_KEYS} active keys; revoke one first")
    prefix = TEST_KEY_PREFIX if test else KEY_PREFIX
    key = prefix + secrets.token_urlsafe(32)
    record = ApiKey(
        _hash(key),
        id=uuid.uuid4().hex[:16],
        user_id=user_id,
        name=name,
        prefix=key[: len(prefix) + SHOWN_CHARACTERS],
        test=test,
        created_at=now or utcnow(),
    )
    record.save(condition=ApiKey.key_hash.does_not_exist())
    return record, key


def list_for_user(user_id: str) -> list[ApiKey]:
    """The user's active keys, newest first."""
    return [k for k in ApiKey.by_user.query(user_id, scan_index_forward=False) if k.revoked_at is None]


def revoke(user_id: str, key_id: str) -> ApiKey:
    """Revokes one of the user's keys (404 when it is not theirs or already revoked)."""
    record = next((k for k in list_for_user(user_id) if k.id == key_id), None)
    if record is None or not applied(
        lambda: record.update(
            actions=[ApiKey.revoked_at.set(utcnow())], condition=ApiKey.revoked_at.does_not_exist()
        )
    ):
        raise NotFound(f"no active key {key_id}")
    return record


def authenticate(key: str, now: datetime | None = None) -> ApiKey | None:
    """The active key record for `key`, its last use recorded; None for anything else."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    record = get_or_none(ApiKey, _hash(key))
    if record is None or record.revoked_at is not None:
        return None
    now = now or utcnow()
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_PRECISION:
        record.update(actions=[ApiKey.last_used_at.set(now)])
    return record
