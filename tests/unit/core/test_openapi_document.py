"""The OpenAPI document against template.yaml: every route the template gives API Gateway is
documented, with the security its authorizer means and every error in the one error shape."""

import json

import pytest

from bgr_core.api import openapi, removals
from bgr_core.platform.errors import BadRequest
from bgr_local.routes import routes
from harness import TEMPLATE

DOCUMENT = json.loads(openapi.document())
ERROR = {"$ref": "#/components/schemas/ErrorResponse"}
REMOVE_BG_ERROR = {"$ref": "#/components/schemas/RemoveBgErrors"}
ROUTES = routes(TEMPLATE)
# the security scheme each of the Api's authorizers stands for
SCHEMES = {"CognitoAuthorizer": "bearerAuth", "ApiKeyAuthorizer": "apiKey"}
HEALTH = {"/health": "HealthStatus", "/api/admin/health": "Health"}  # public: the status alone


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.resource}")
def test_each_template_route_is_documented_with_its_auth_and_errors(route):
    operation = DOCUMENT["paths"][route.resource][route.method.lower()]
    responses = operation["responses"]
    if route.public:  # no authorizer: anonymous, or a token the function checks itself
        assert operation.get("security") in (None, [{}, {"bearerAuth": []}])
    else:
        assert operation["security"] == [{SCHEMES[route.authorizer]: []}]
        assert {"401", "429"} <= set(responses)
    assert {"500", "503"} <= set(responses)
    for status, response in responses.items():
        if route.resource in HEALTH and status == "503":  # degraded: the health answer itself
            assert response["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{HEALTH[route.resource]}"
            }
        elif route.resource.startswith("/v1.0") and int(status) >= 400 and status not in ("401", "500"):
            # remove.bg's routes answer in its shape; the gateway's 401 and a crash in ours
            assert response["content"] == {"application/json": {"schema": REMOVE_BG_ERROR}}, status
        elif route.resource == "/mcp" and status in ("400", "406"):  # the MCP SDK's own answers
            assert "ErrorResponse" not in json.dumps(response), status
        elif int(status) >= 400:
            assert response["content"] == {"application/json": {"schema": ERROR}}, status
    if "{" in route.resource:
        assert "404" in responses


def test_the_document_has_both_security_schemes_and_no_route_the_template_lacks():
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "apiKey", "in": "header", "name": "X-Api-Key"}
    documented = {(m.upper(), p) for p, ops in DOCUMENT["paths"].items() for m in ops}
    assert documented == {(r.method, r.resource) for r in ROUTES}


def test_remove_documents_its_multipart_and_json_bodies():
    body = DOCUMENT["paths"]["/api/background-remover/remove"]["post"]["requestBody"]["content"]
    assert body["multipart/form-data"]["schema"] == {"$ref": "#/components/schemas/MultipartForm"}
    form = DOCUMENT["components"]["schemas"]["MultipartForm"]
    assert form["required"] == ["image", "tier"] and form["additionalProperties"] is False
    assert form["properties"]["cropMargin"]["maximum"] == 500
    assert form["properties"]["format"]["enum"] == ["png", "webp", "jpg", "zip"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/UploadRequest"}
    assert "UploadRequest" in DOCUMENT["components"]["schemas"]


def test_the_multipart_form_takes_exactly_the_fields_its_document_lists():
    documented = DOCUMENT["components"]["schemas"]["MultipartForm"]["properties"]
    with pytest.raises(BadRequest) as refused:
        removals.read_form({"tier": "basic", "size": "hd"})
    message = str(refused.value)
    assert "unknown form fields: size;" in message
    assert message.endswith(", ".join(documented))
    form = removals.read_form({"tier": "basic", "cropMargin": "20", "bgColor": "#ffffff"})
    assert (form.options.margin, form.options.bg_color) == (20, "#ffffff")
