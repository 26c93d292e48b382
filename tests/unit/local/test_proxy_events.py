"""HTTP requests -> API Gateway REST proxy events, routed and authorized as template.yaml says."""

import base64
import json

import pytest

from bgr_local import tokens
from bgr_local.api_server import LocalApi
from bgr_local.proxy import HttpRequest, http_response, is_binary, proxy_event
from bgr_local.routes import resolve, routes
from harness import TEMPLATE

SECRET = b"s"
BINARY = ["multipart~1form-data", "image~1*"]
ROUTES = routes(TEMPLATE)


def request(method: str, target: str, body: bytes = b"", **headers) -> HttpRequest:
    pairs = [(k.replace("_", "-"), v) for k, v in headers.items()]
    return HttpRequest(method, target, [("Host", "127.0.0.1:3000"), *pairs], body)


def test_routes_come_from_the_template_with_their_auth():
    by_key = {(r.method, r.resource): r for r in ROUTES}
    assert by_key[("GET", "/health")].public
    assert by_key[("GET", "/api/background-remover/pricing")].public
    assert not by_key[("POST", "/api/background-remover/pricing/quote")].public
    assert by_key[("POST", "/api/admin/users/{userId}/credits")].function == "AccountFunction"
    assert by_key[("POST", "/api/background-remover/remove")].function == "UploadFunction"


def test_resolve_fills_path_parameters_and_tells_404_from_405():
    match = resolve(ROUTES, "GET", "/api/background-remover/batch/b1/items")
    assert match.route.resource == "/api/background-remover/batch/{batchId}/items"
    assert match.path_params == {"batchId": "b1"}
    assert resolve(ROUTES, "GET", "/api/background-remover/jobs").path_params == {}
    assert resolve(ROUTES, "PUT", "/api/background-remover/jobs") is False
    assert resolve(ROUTES, "GET", "/api/background-remover/nothing") is None
    assert resolve(ROUTES, "GET", "/api/background-remover/jobs/a/b") is None


def test_a_get_becomes_the_rest_proxy_event():
    req = request("GET", "/api/background-remover/jobs/j1?limit=5&tag=a&tag=b&empty=", X_Trace="1")
    event = proxy_event(
        req,
        resolve(ROUTES, "GET", req.path),
        authorizer={"claims": {"sub": "u"}},
        stage="dev",
        binary_media_types=BINARY,
    )
    assert (
        event["resource"] == event["requestContext"]["resourcePath"] == "/api/background-remover/jobs/{jobId}"
    )
    assert event["path"] == "/api/background-remover/jobs/j1"
    assert event["requestContext"]["path"] == "/dev/api/background-remover/jobs/j1"
    assert event["pathParameters"] == {"jobId": "j1"}
    assert event["queryStringParameters"] == {"limit": "5", "tag": "b", "empty": ""}
    assert event["multiValueQueryStringParameters"]["tag"] == ["a", "b"]
    assert event["headers"]["X-Trace"] == "1" and event["multiValueHeaders"]["X-Trace"] == ["1"]
    assert event["requestContext"]["authorizer"] == {"claims": {"sub": "u"}}
    assert event["body"] is None and event["isBase64Encoded"] is False


def test_json_bodies_stay_text_and_binary_media_types_are_base64():
    route = resolve(ROUTES, "POST", "/api/background-remover/remove")
    as_json = request(
        "POST", "/api/background-remover/remove", b'{"tier": "basic"}', Content_Type="application/json"
    )
    event = proxy_event(as_json, route, authorizer=None, stage="dev", binary_media_types=BINARY)
    assert event["body"] == '{"tier": "basic"}' and not event["isBase64Encoded"]
    assert event["queryStringParameters"] is None and event["pathParameters"] is None
    assert "authorizer" not in event["requestContext"]
    raw = b"--x\r\n\xff\xd8\xff binary\r\n--x--"
    multipart = request(
        "POST", "/api/background-remover/remove", raw, Content_Type="multipart/form-data; boundary=x"
    )
    event = proxy_event(multipart, route, authorizer=None, stage="dev", binary_media_types=BINARY)
    assert event["isBase64Encoded"] and base64.b64decode(event["body"]) == raw


@pytest.mark.parametrize(
    ("content_type", "binary"),
    [
        ("image/png", True),
        ("IMAGE/JPEG; q=1", True),
        ("multipart/form-data; boundary=z", True),
        ("application/json", False),
        ("text/plain", False),
        (None, False),
    ],
)
def test_binary_media_types_match_like_api_gateway(content_type, binary):
    assert is_binary(content_type, BINARY) is binary


def test_proxy_results_become_http_responses():
    result = {
        "statusCode": 201,
        "headers": {"Content-Type": "image/png"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": base64.b64encode(b"\x89PNG").decode(),
        "isBase64Encoded": True,
    }
    response = http_response(result)
    assert response.status == 201 and response.body == b"\x89PNG"
    assert ("Set-Cookie", "a=1") in response.headers and ("Set-Cookie", "b=2") in response.headers
    assert http_response({"statusCode": 204}).body == b""


class Recorder:
    def __init__(self):
        self.calls = []

    def invoke(self, logical, event):
        self.calls.append((logical, event))
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}


@pytest.fixture
def api():
    return LocalApi(TEMPLATE, Recorder(), SECRET)


@pytest.mark.parametrize(
    "authorization", [None, "Bearer nope", f"Bearer {tokens.sign('u', secret=b'other')}"]
)
def test_protected_routes_refuse_a_missing_or_bad_token_before_the_function_runs(api, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = api.handle(request("GET", "/api/credits/balance", **headers))
    assert response.status == 401
    assert json.loads(response.body)["error"]["code"] == "UNAUTHORIZED"
    assert api.functions.calls == []


def test_a_valid_token_puts_the_claims_where_cognito_would(api):
    token = tokens.sign("alice", ("admin",), secret=SECRET)
    assert (
        api.handle(request("POST", "/api/admin/users/bob/credits", Authorization=f"Bearer {token}")).status
        == 200
    )
    ((logical, event),) = api.functions.calls
    claims = event["requestContext"]["authorizer"]["claims"]
    assert logical == "AccountFunction" and event["pathParameters"] == {"userId": "bob"}
    assert claims["sub"] == "alice" and claims["cognito:groups"] == "admin"


def test_public_routes_run_without_a_token_and_without_claims(api):
    assert api.handle(request("GET", "/api/background-remover/pricing")).status == 200
    ((logical, event),) = api.functions.calls
    assert logical == "PricingFunction" and "authorizer" not in event["requestContext"]


def test_unknown_paths_and_methods_answer_as_the_template_s_gateway_response(api):
    for method, path in (("GET", "/nowhere"), ("DELETE", "/health")):
        response = api.handle(request(method, path))
        assert response.status == 404 and json.loads(response.body)["error"]["code"] == "NOT_FOUND"
    assert api.functions.calls == []


def test_a_failing_function_is_a_502_not_a_crash():
    class Failing:
        def invoke(self, logical, event):
            raise RuntimeError("boom")

    response = LocalApi(TEMPLATE, Failing(), SECRET).handle(request("GET", "/health"))
    assert response.status == 502 and json.loads(response.body)["error"]["code"] == "GATEWAY_ERROR"
