"""What API Gateway answers itself, locally derived from template.yaml's Api: the CORS preflight
(`Cors`), throttling (`MethodSettings`) and its refusals (`GatewayResponses`), so that changing
the template changes the local answers."""

import json

import pytest
from test_proxy_events import Recorder  # the functions' stand-in: records each invoke

from bgr_local import tokens
from bgr_local.api_server import LocalApi
from bgr_local.gateway import GatewayResponses, Throttle
from bgr_local.proxy import HttpRequest
from bgr_local.template import Template
from harness import ROOT, TEMPLATE

SECRET = b"s"
FOREIGN = "https://shop.example"


def request(method: str, path: str, **headers) -> HttpRequest:
    pairs = [(k.replace("_", "-"), v) for k, v in headers.items()]
    return HttpRequest(method, path, [("Host", "127.0.0.1:3000"), *pairs], b"")


def api(template: Template = TEMPLATE, **kwargs) -> LocalApi:
    return LocalApi(template, Recorder(), SECRET, **kwargs)


def changed(tmp_path, old: str, new: str) -> Template:
    """A copy of template.yaml with one edit."""
    text = (ROOT / "template.yaml").read_text()
    assert old in text
    (tmp_path / "template.yaml").write_text(text.replace(old, new))
    return Template(stack_name="bgr-test", path=tmp_path / "template.yaml")


def headers(response) -> dict[str, str]:
    return dict(response.headers)


def test_a_preflight_from_a_foreign_origin_is_answered_by_the_gateway_without_a_token():
    local = api()
    response = local.handle(
        request(
            "OPTIONS",
            "/api/credits/balance",
            Origin=FOREIGN,
            Access_Control_Request_Method="GET",
            Access_Control_Request_Headers="authorization",
        )
    )
    assert response.status == 200
    assert headers(response)["Access-Control-Allow-Origin"] == "*"
    assert "GET" in headers(response)["Access-Control-Allow-Methods"].split(",")
    assert "Authorization" in headers(response)["Access-Control-Allow-Headers"].split(",")
    assert local.functions.calls == []


def test_a_request_without_a_token_gets_the_project_s_401_with_cors_headers():
    local = api()
    for authorization in (None, "Bearer nope"):
        extra = {"Authorization": authorization} if authorization else {}
        response = local.handle(request("GET", "/api/credits/balance", Origin=FOREIGN, **extra))
        assert response.status == 401
        assert json.loads(response.body) == {"error": {"code": "UNAUTHORIZED", "message": "Unauthorized"}}
        assert headers(response)["Access-Control-Allow-Origin"] == "*"
    assert local.functions.calls == []


def test_the_preflight_follows_the_template_s_cors(tmp_path):
    template = changed(tmp_path, "AllowOrigin: \"'*'\"", "AllowOrigin: \"'https://app.example'\"")
    response = api(template).handle(request("OPTIONS", "/api/credits/balance", Origin=FOREIGN))
    assert headers(response)["Access-Control-Allow-Origin"] == "https://app.example"


def test_without_cors_in_the_template_there_is_no_preflight(tmp_path):
    template = changed(tmp_path, "      Cors:\n", "      NoCors:\n")
    response = api(template).handle(request("OPTIONS", "/api/credits/balance", Origin=FOREIGN))
    assert response.status == 404 and "Access-Control-Allow-Origin" in headers(response)


def test_the_401_follows_the_template_s_gateway_response(tmp_path):
    template = changed(tmp_path, '"code": "UNAUTHORIZED"', '"code": "LOGIN_REQUIRED"')
    response = api(template).handle(request("GET", "/api/credits/balance"))
    assert response.status == 401 and json.loads(response.body)["error"]["code"] == "LOGIN_REQUIRED"


def test_without_gateway_responses_the_gateway_answers_its_own_default(tmp_path):
    template = changed(tmp_path, "      GatewayResponses:\n", "      NoGatewayResponses:\n")
    local = api(template)
    response = local.handle(request("GET", "/api/credits/balance"))
    assert response.status == 401 and json.loads(response.body) == {"message": "Unauthorized"}
    assert "Access-Control-Allow-Origin" not in headers(response)
    missing = local.handle(request("GET", "/nowhere"))
    assert missing.status == 403 and json.loads(missing.body) == {"message": "Missing Authentication Token"}


def test_throttling_follows_method_settings_and_answers_in_the_project_s_shape():
    now = [0.0]
    throttle = Throttle(TEMPLATE, clock=lambda: now[0])
    assert (throttle.burst, throttle.rate) == (200, 100)
    local = api(throttle=throttle)
    assert all(local.handle(request("GET", "/health")).status == 200 for _ in range(200))
    refused = local.handle(request("GET", "/health"))
    assert refused.status == 429 and json.loads(refused.body)["error"]["code"] == "RATE_LIMITED"
    assert headers(refused)["Access-Control-Allow-Origin"] == "*"
    now[0] += 0.01  # one token back at 100 a second
    assert local.handle(request("GET", "/health")).status == 200
    assert local.handle(request("GET", "/health")).status == 429
    assert len(local.functions.calls) == 201


def test_a_token_with_non_ascii_bytes_in_its_signature_is_a_401():
    token = tokens.sign("alice", secret=SECRET)
    forged = token[:-2] + "\xe9\xff"  # latin-1, as http.server decodes a header's raw bytes
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(forged, secret=SECRET)
    response = api().handle(request("GET", "/api/credits/balance", Authorization=f"Bearer {forged}"))
    assert response.status == 401


def test_a_refused_api_key_is_answered_in_remove_bg_s_error_shape_with_cors():
    # ACCESS_DENIED comes only from the X-Api-Key authorizer, whose clients expect remove.bg's shape
    response = GatewayResponses(TEMPLATE).respond("ACCESS_DENIED")
    error = json.loads(response.body)["errors"][0]
    assert response.status == 403 and error["code"] == "auth_failed" and error["title"]
    assert headers(response)["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("response_type", "status", "code"),
    [
        ("UNAUTHORIZED", 401, "UNAUTHORIZED"),
        ("THROTTLED", 429, "RATE_LIMITED"),
        ("MISSING_AUTHENTICATION_TOKEN", 404, "NOT_FOUND"),
        ("DEFAULT_4XX", 400, "BAD_REQUEST"),
        ("AUTHORIZER_FAILURE", 500, "GATEWAY_ERROR"),  # not declared: DEFAULT_5XX's shape
        ("DEFAULT_5XX", 502, "GATEWAY_ERROR"),
    ],
)
def test_every_gateway_response_is_the_project_s_error_with_cors(response_type, status, code):
    response = GatewayResponses(TEMPLATE).respond(response_type)
    body = json.loads(response.body)
    assert response.status == status and body["error"]["code"] == code and body["error"]["message"]
    assert headers(response)["Access-Control-Allow-Origin"] == "*"


def test_an_unknown_path_points_to_the_docs_as_the_functions_do():
    from bgr_core.api.errors import NO_ROUTE

    response = GatewayResponses(TEMPLATE).respond("MISSING_AUTHENTICATION_TOKEN")
    assert json.loads(response.body)["error"] == {"code": "NOT_FOUND", "message": NO_ROUTE}
    assert "/api/docs" in NO_ROUTE
