"""integrations.guarded_http against a real HTTP server on loopback (allowed explicitly for the test)."""

import ipaddress
import socket
import threading
import time

import pytest

from bgr_core.integrations import guarded_http
from http_stub import QuietHandler, http_server

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
ANY_PORT = (range(1, 65536),)  # the servers here listen on free ports, not 80 or 443


class Handler(QuietHandler):
    def do_GET(self):
        status, headers, body = self.server.routes[self.path]
        self.server.seen.append((self.path, self.headers["Host"]))
        self.answer(status, body, headers)


@pytest.fixture
def server():
    with http_server(Handler) as httpd:
        httpd.seen, httpd.routes = [], {}
        yield httpd


def policy(**kwargs):
    kwargs.setdefault("resolver", lambda host, port: ["127.0.0.1"])
    kwargs.setdefault("allow_ports", ANY_PORT)
    return guarded_http.Policy(**kwargs)


def test_the_connection_goes_to_the_pinned_address_with_the_host_name(server):
    port = server.server_address[1]
    server.routes = {"/a.png": (200, {"Content-Type": "image/png"}, b"png-bytes")}
    response = guarded_http.fetch(f"http://images.example:{port}/a.png", policy(allow_networks=LOOPBACK))
    assert (response.status, response.content_type, response.body) == (200, "image/png", b"png-bytes")
    assert server.seen == [("/a.png", f"images.example:{port}")]


def test_loopback_is_refused_unless_allowed(server):
    port = server.server_address[1]
    server.routes = {"/a.png": (200, {}, b"x")}
    with pytest.raises(guarded_http.UrlNotAllowed):
        guarded_http.fetch(f"http://127.0.0.1:{port}/a.png", policy())
    assert server.seen == []


def test_redirects_are_followed_and_each_one_checked(server):
    port = server.server_address[1]
    server.routes = {
        "/r1": (302, {"Location": "/r2"}, b""),
        "/r2": (301, {"Location": f"http://second.example:{port}/img"}, b""),
        "/img": (200, {}, b"done"),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
    }
    assert (
        guarded_http.fetch(f"http://first.example:{port}/r1", policy(allow_networks=LOOPBACK)).body == b"done"
    )
    assert [host for _, host in server.seen] == [
        f"first.example:{port}",
        f"first.example:{port}",
        f"second.example:{port}",
    ]
    with pytest.raises(guarded_http.UrlNotAllowed, match=r"169\.254\.169\.254"):
        guarded_http.fetch(
            f"http://first.example:{port}/to-metadata",
            policy(allow_networks=LOOPBACK, resolver=lambda h, p: [h if h[0].isdigit() else "127.0.0.1"]),
        )


def test_at_most_five_redirects(server):
    port = server.server_address[1]
    server.routes = {f"/r{i}": (307, {"Location": f"/r{i + 1}"}, b"") for i in range(7)}
    server.routes["/r5"] = (200, {}, b"five")
    assert guarded_http.fetch(f"http://x.example:{port}/r0", policy(allow_networks=LOOPBACK)).body == b"five"
    server.routes["/r5"] = (307, {"Location": "/r6"}, b"")
    with pytest.raises(guarded_http.FetchFailed, match="redirects"):
        guarded_http.fetch(f"http://x.example:{port}/r0", policy(allow_networks=LOOPBACK))


def test_bodies_are_capped(server):
    port = server.server_address[1]
    server.routes = {"/big": (200, {}, b"x" * 2000)}
    with pytest.raises(guarded_http.FetchTooLarge):
        guarded_http.fetch(f"http://x.example:{port}/big", policy(allow_networks=LOOPBACK, max_bytes=1000))


def test_the_whole_exchange_has_a_deadline(server):
    port = server.server_address[1]
    server.routes = {"/r": (302, {"Location": "/img"}, b""), "/img": (200, {}, b"x")}
    ticks = iter(range(0, 300, 3))  # each look at the clock finds 3 s gone
    with pytest.raises(guarded_http.FetchFailed, match="within 10 s"):
        guarded_http.fetch(
            f"http://x.example:{port}/r",
            policy(allow_networks=LOOPBACK, clock=lambda: float(next(ticks))),
        )


@pytest.fixture
def dripping():
    """A server on 127.0.0.1 that answers a byte every 2 s (an HTTP status line, headers, a body
    that never ends), until the client goes away: what a slow-loris image_url or receiver does."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1000000
            for byte in answer:
                if stop.wait(2.0):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, name="dripping-server")
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


def test_a_server_dripping_a_byte_every_2_s_fails_within_the_deadline_and_a_second(dripping):
    started = time.monotonic()
    with pytest.raises(guarded_http.FetchFailed, match="within 3 s"):
        guarded_http.fetch(
            f"http://slow.example:{dripping}/a.png", policy(allow_networks=LOOPBACK, timeout_seconds=3)
        )
    assert time.monotonic() - started < 3 + 1


def test_only_ports_80_and_443_unless_allowed(server):
    port = server.server_address[1]
    server.routes = {"/a.png": (200, {}, b"x")}
    with pytest.raises(guarded_http.UrlNotAllowed, match=f"not {port}"):
        guarded_http.fetch(f"http://x.example:{port}/a.png", policy(allow_networks=LOOPBACK, allow_ports=()))
    assert server.seen == []
    allowed = (range(port, port + 1),)
    fetched = guarded_http.fetch(
        f"http://x.example:{port}/a.png", policy(allow_networks=LOOPBACK, allow_ports=allowed)
    )
    assert fetched.body == b"x"


def test_an_unreachable_port_fails_cleanly():
    with pytest.raises(guarded_http.FetchFailed):
        guarded_http.fetch("http://x.example:9/", policy(allow_networks=LOOPBACK, timeout_seconds=2))
