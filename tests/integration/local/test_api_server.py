"""The local API's HTTP server: a burst of clients, and bytes no client should send."""

import errno
import select
import socket
import threading

import pytest
import requests

from bgr_local import tokens
from bgr_local.api_server import ApiServer, LocalApi
from bgr_local.gateway import Throttle
from harness import TEMPLATE

SECRET = b"s"


class Recorder:
    def invoke(self, logical, event):
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}


@pytest.fixture
def server():
    server = ApiServer(
        LocalApi(TEMPLATE, Recorder(), SECRET, throttle=Throttle(TEMPLATE, clock=lambda: 0.0)), "127.0.0.1", 0
    ).start()
    yield server
    server.stop()


def test_the_server_answers_a_raw_non_ascii_authorization_header_instead_of_dropping_it(server):
    host, port = server.server_address[:2]
    token = tokens.sign("alice", secret=SECRET).encode()[:-2] + b"\xc3\xa9"
    with socket.create_connection((host, port), timeout=30) as conn:
        conn.sendall(
            b"GET /api/credits/balance HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + b"\r\n\r\n"
        )
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.0 401 ")
    assert b'"UNAUTHORIZED"' in reply


def test_the_server_takes_200_simultaneous_clients_without_a_reset(server):
    clients = 200
    start, statuses, errors = threading.Barrier(clients), [], []

    def client():
        start.wait()
        try:
            statuses.append(requests.get(f"{server.url}/health", timeout=60).status_code)
        except requests.ConnectionError as err:
            errors.append(err)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and statuses == [200] * clients


def test_200_clients_connecting_while_the_server_is_busy_are_all_held_then_answered():
    """The listen backlog holds every connection the server has not accepted yet (socketserver's
    default of 5 leaves the rest unanswered, then reset): 200 connect before it accepts any."""
    server = ApiServer(
        LocalApi(TEMPLATE, Recorder(), SECRET, throttle=Throttle(TEMPLATE, clock=lambda: 0.0)), "127.0.0.1", 0
    )
    clients = [socket.socket() for _ in range(200)]
    try:
        for client in clients:
            client.setblocking(False)
            assert client.connect_ex(server.server_address) in (0, errno.EINPROGRESS)
        pending = set(clients)
        while pending:  # each handshake the kernel completes into the backlog
            _, connected, _ = select.select([], list(pending), [], 30)
            assert connected, f"{len(pending)} of {len(clients)} clients held nowhere"
            pending -= set(connected)
        assert all(c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 for c in clients)
        server.start()
        for client in clients:
            client.setblocking(True)
            client.settimeout(60)
            client.sendall(b"GET /health HTTP/1.0\r\nHost: x\r\n\r\n")
        replies = [c.makefile("rb").readline() for c in clients]
        assert all(reply.startswith(b"HTTP/1.0 200") for reply in replies)
    finally:
        for client in clients:
            client.close()
        server.stop()


@pytest.mark.parametrize("gone", [BrokenPipeError(errno.EPIPE, "Broken pipe"), ConnectionResetError()])
def test_a_client_that_goes_away_is_a_log_line_not_a_traceback(server, gone, capsys, caplog):
    caplog.set_level("INFO", logger="bgr_local.api_server")
    try:
        raise gone
    except ConnectionError:
        server.handle_error(None, ("127.0.0.9", 5555))  # what socketserver calls with the error
    assert capsys.readouterr().err == ""
    assert caplog.messages == ["127.0.0.9 went away before its answer was sent"]


def test_any_other_error_still_prints_its_traceback(server, capsys):
    try:
        raise ValueError("a bug")
    except ValueError:
        server.handle_error(None, ("127.0.0.9", 5555))
    assert "Traceback" in capsys.readouterr().err
