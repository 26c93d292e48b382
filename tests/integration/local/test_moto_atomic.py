"""A canary for moto upgrades: bgr_local.moto_atomic must still sit where moto dispatches every
DynamoDB request, so that concurrent requests take turns as they do in DynamoDB. If moto moves
its dispatch elsewhere, the patch would silently wrap nothing and the concurrency tests would
pass or fail by luck."""

import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler

from bgr_core.money import credits
from bgr_local import moto_atomic
from money import fund

TURN_WAIT_S = 30  # a bound for a broken run only: a working one never waits it out


def test_the_wrapper_is_motos_dynamodb_dispatch_while_active(aws):
    assert DynamoHandler.call_action is moto_atomic._atomic_call_action
    assert moto_atomic._call_action is not moto_atomic._atomic_call_action  # moto's own, wrapped


class WatchedLock:
    """moto_atomic's lock, telling when a request finds it taken and waits for its turn."""

    def __init__(self):
        self.lock, self.queued = threading.RLock(), threading.Event()

    def __enter__(self):
        if not self.lock.acquire(blocking=False):
            self.queued.set()
            self.lock.acquire()

    def __exit__(self, *exc):
        self.lock.release()


def test_a_request_waits_while_another_transaction_is_inside_motos_backend(aws, monkeypatch):
    """The first grant's transaction holds moto's backend until the second grant has sent a
    request: that request must queue on the lock, never run alongside it."""
    fund("u1", 10)
    lock, first_inside, inside, overlapped = WatchedLock(), threading.Event(), [], []
    monkeypatch.setattr(moto_atomic, "_lock", lock)
    transact = DynamoDBBackend.transact_write_items

    def held_transaction(backend, *args, **kwargs):
        if inside:
            overlapped.append(threading.current_thread().name)
            lock.queued.set()  # unblocks the first: the race already happened
        inside.append(threading.current_thread().name)
        try:
            if threading.current_thread().name == "first":
                first_inside.set()
                lock.queued.wait(TURN_WAIT_S)  # until the second request has come
            return transact(backend, *args, **kwargs)
        finally:
            inside.remove(threading.current_thread().name)

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", held_transaction)
    first, second = (threading.Thread(target=fund, args=("u1", 3), name=name) for name in ("first", "second"))
    first.start()
    assert first_inside.wait(TURN_WAIT_S)
    second.start()
    first.join()
    second.join()
    assert lock.queued.is_set() and overlapped == []
    assert credits.balance("u1") == 16 and len(credits.ledger("u1")) == 3
