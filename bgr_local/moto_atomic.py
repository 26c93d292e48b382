"""DynamoDB applies each request atomically; moto evaluates a condition and then writes in
plain Python, so two threads can interleave between the two. Serializing moto's DynamoDB
requests restores the real service's per-request atomicity for concurrent tests and the local
runtime (it adds no behaviour of its own: moto still evaluates every condition)."""

import threading
from contextlib import contextmanager
from unittest import mock

from moto.dynamodb.responses import DynamoHandler

_lock = threading.RLock()
_call_action = DynamoHandler.call_action


def _atomic_call_action(self):
    with _lock:
        return _call_action(self)


@contextmanager
def serialize_dynamodb_requests():
    with mock.patch.object(DynamoHandler, "call_action", _atomic_call_action):
        yield
