"""The local runtime's web app routes: static files, config.json, the local sign-in."""

import json

import pytest

from bgr_local import tokens
from bgr_local.proxy import HttpRequest
from bgr_local.webapp import WebApp

SECRET = b"test-secret"


def request(method: str, target: str, body: bytes = b"") -> HttpRequest:
    return HttpRequest(method=method, target=target, headers=[], body=body)


@pytest.fixture
def web(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>app</title>")
    (tmp_path / "assets" / "index-1.js").write_text("export {}")
    (tmp_path.parent / "secret.txt").write_text("not served")
    return WebApp(SECRET, tmp_path)


def test_the_app_its_assets_and_its_config(web):
    index = web.handle(request("GET", "/"))
    assert index.status == 200 and b"<title>app</title>" in index.body
    assert ("Content-Type", "text/html") in index.headers and ("Cache-Control", "no-cache") in index.headers
    asset = web.handle(request("GET", "/assets/index-1.js?v=1"))
    assert asset.status == 200 and ("Content-Type", "text/javascript") in asset.headers
    config = web.handle(request("GET", "/config.json"))
    assert json.loads(config.body) == {"apiUrl": "", "auth": {"mode": "local"}}


def test_the_api_and_what_is_not_there_are_left_to_the_api(web):
    for target in ("/api/credits/balance", "/health", "/nothing.js", "/../secret.txt", "/%2e%2e/secret.txt"):
        assert web.handle(request("GET", target)) is None, target
    assert web.handle(request("POST", "/")) is None


def test_local_sign_in_issues_the_token_make_token_would(web):
    reply = web.handle(
        request("POST", "/local/sign-in", json.dumps({"user": "alice", "admin": True}).encode())
    )
    body = json.loads(reply.body)
    claims = tokens.verify(body["token"], secret=SECRET)
    assert reply.status == 200 and claims["sub"] == "alice" and claims["cognito:groups"] == ["admin"]
    plain = json.loads(web.handle(request("POST", "/local/sign-in", b'{"user": "bob"}')).body)
    assert "cognito:groups" not in tokens.verify(plain["token"], secret=SECRET)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"{}", 400),
        (b'{"user": ""}', 422),
        (b'{"user": "a/b"}', 422),
        (b'{"user": 5}', 422),
    ],
)
def test_bad_sign_ins_are_refused(web, body, status):
    assert web.handle(request("POST", "/local/sign-in", body)).status == status


def test_an_unbuilt_app_says_how_to_build_it(tmp_path):
    reply = WebApp(SECRET, tmp_path / "missing").handle(request("GET", "/"))
    assert reply.status == 503 and b"make web" in reply.body
