"""`bgr` waits out a 429 (its Retry-After) instead of exiting mid-batch; a real local HTTP server."""

import json
import time

import pytest

from bgr_cli.client import ApiError, Client
from http_stub import QuietHandler, base_url, http_server


class Limited(QuietHandler):
    """Answers 429 (Retry-After: 3) to the first `limited` requests, then 200."""

    limited = 2
    seen = 0

    def do_GET(self):
        type(self).seen += 1
        limited = type(self).seen <= type(self).limited
        body = {"error": {"code": "RATE_LIMITED", "message": "slow down"}} if limited else {"balance": 7}
        headers = {"Content-Type": "application/json", **({"Retry-After": "3"} if limited else {})}
        self.answer(429 if limited else 200, json.dumps(body).encode(), headers)


@pytest.fixture
def server():
    Limited.seen = 0
    with http_server(Limited) as httpd:
        yield base_url(httpd)


def test_a_429_is_waited_out_for_its_retry_after_then_retried(server):
    slept = []
    client = Client(server, "token", sleep=slept.append)
    assert client.balance() == 7
    assert slept == [3.0, 3.0] and Limited.seen == 3


def test_it_gives_up_once_the_waits_would_pass_its_limit(server):
    slept = []
    client = Client(server, "token", sleep=slept.append, max_wait_429_s=4)
    with pytest.raises(ApiError) as raised:
        client.balance()
    assert raised.value.status == 429 and raised.value.retry_after == "3" and slept == [3.0]


def test_waiting_polls_well_inside_the_rate_limit():
    client = Client("http://x")  # the API allows 120 requests a minute
    assert 60 / client.poll_s <= 30 and 60 / client.zip_poll_s <= 60


def test_a_settled_batch_is_polled_sooner_while_its_zip_builds(monkeypatch):
    states = iter(
        [("processing", None), ("processing", None), ("completed", "building"), ("completed", "ready")]
    )
    client = Client("http://x")
    monkeypatch.setattr(
        client, "batch", lambda batch_id: dict(zip(("status", "zipStatus"), next(states), strict=True))
    )
    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    assert client.wait_batch("b1", on_poll=lambda batch: None)["zipStatus"] == "ready"
    assert slept == [client.poll_s, client.poll_s, client.zip_poll_s]
