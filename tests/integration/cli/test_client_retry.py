"""`bgr` waits out a 429 (its Retry-After) instead of exiting mid-batch; a real local HTTP server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bgr_cli.client import ApiError, Client


class Limited(BaseHTTPRequestHandler):
    """Answers 429 (Retry-After: 3) to the first `limited` requests, then 200."""

    limited = 2
    seen = 0

    def do_GET(self):
        type(self).seen += 1
        limited = type(self).seen <= type(self).limited
        body = {"error": {"code": "RATE_LIMITED", "message": "slow down"}} if limited else {"balance": 7}
        data = json.dumps(body).encode()
        self.send_response(429 if limited else 200)
        if limited:
            self.send_header("Retry-After", "3")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Limited.seen = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Limited)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


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
    assert 60 / Client("http://x").poll_s <= 30  # the API allows 120 requests a minute
