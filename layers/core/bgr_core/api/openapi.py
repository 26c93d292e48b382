"""The API's OpenAPI document, built from a resolver holding every function's routers, so the
account function serves all of it (`router`: GET /api/openapi.json, Swagger UI at /api/docs).

Powertools generates paths, parameters, bodies and success responses from the routes. Then, so
that the document is the API, every operation gets what the routes share, from what each route
depends on (`_implied`): its security (bearer token; optional on public routes that honour one)
and the error statuses its kind of route can return, all with the one error schema; validation
errors (422) are ours, not powertools' default shape. A route declares only its own further
statuses (`responses.errors(...)`) and, where it reads the raw request, its body
(`openapi_extensions={"requestBody": ...}`). Routes added later are documented the same way.
"""

import json
from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.depends import build_dependency_tree
from aws_lambda_powertools.event_handler.openapi import swagger_ui
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer, Server
from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html
from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel

from bgr_core.api import identity, resolver
from bgr_core.api.paths import MCP
from bgr_core.api.removals import BODY_MODELS
from bgr_core.api.responses import COMPONENTS, WHY, ErrorResponse
from bgr_core.api.routes import account, apikeys, payments, pricing, removebg, upload

TITLE = "Background Remover Pro"
VERSION = "1.0.0"
BEARER = {"bearerAuth": []}
API_KEY = {"apiKey": []}
SECURITY_SCHEMES = {
    "bearerAuth": HTTPBearer(bearerFormat="JWT", description="a Cognito ID token (locally: `make token`)"),
    "apiKey": APIKey(**{"in": APIKeyIn.header}, name="X-Api-Key", description="an API key of the caller's"),
}
POWERTOOLS_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def _dependencies(func) -> set:
    found, nodes = set(), list(build_dependency_tree(func).dependencies)
    while nodes:
        node = nodes.pop()
        found.add(node.depends.dependency)
        nodes += node.dependant.dependencies
    return found


def _implied(route) -> tuple[list[dict] | None, set[int]]:
    """The route's security and the error statuses every route like it can return."""
    uses, dependant = _dependencies(route.func), route.dependant
    statuses, security = {500, 503}, None
    if dependant.path_params:
        statuses |= {404, 422}
    if dependant.query_params:
        statuses |= {400, 422}
    if dependant.body_params:
        statuses |= {400, 415, 422}
    if uses & {identity.current_user, identity.current_admin}:
        security, statuses = [BEARER], statuses | {401, 429}
    if identity.current_admin in uses:
        statuses.add(403)
    if identity.token_user in uses:
        security, statuses = [{}, BEARER], statuses | {401, 429}
    if identity.key_user in uses:  # remove.bg's API: what it cannot read is a 400
        security, statuses = [API_KEY], statuses - {415, 422}
    return security, statuses


def _hoist(schema: dict, *models: type[BaseModel]) -> None:
    """Models that no route's signature names (bodies read from the raw request) as components."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in models:
        generated = model.model_json_schema(by_alias=True, ref_template=COMPONENTS + "{model}")
        for name, definition in generated.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components.setdefault(model.__name__, generated)


def _error(status: int) -> dict:
    return {
        "description": WHY[status],
        "content": {"application/json": {"schema": {"$ref": COMPONENTS + "ErrorResponse"}}},
    }


def _mcp_operation() -> dict:
    """POST /mcp, which the MCP SDK serves (no resolver route): described here by hand."""
    rpc = {"type": "object", "required": ["jsonrpc"], "properties": {"jsonrpc": {"const": "2.0"}}}
    return {
        "post": {
            "summary": "The MCP server for agents (streamable HTTP, stateless, JSON): docs/mcp.md",
            "description": (
                "One JSON-RPC message per POST (`initialize`, `tools/list`, `tools/call`, ...); send "
                "`Accept: application/json, text/event-stream`. A tool's refusal is a result with "
                '`isError` and the API\'s `{"error": {"code", "message"}}` as structuredContent.'
            ),
            "operationId": "mcp",
            "security": [API_KEY],
            "requestBody": {"required": True, "content": {"application/json": {"schema": rpc}}},
            "responses": {
                "200": {
                    "description": "the JSON-RPC response",
                    "content": {"application/json": {"schema": rpc}},
                },
                "202": {"description": "a notification, accepted"},
                "400": {
                    "description": "not a JSON-RPC message",
                    "content": {"application/json": {"schema": rpc}},
                },
                "406": {
                    "description": "the Accept header takes neither application/json nor text/event-stream"
                },
                **{str(status): _error(status) for status in (401, 429, 500, 503)},
            },
        }
    }


def describe(app: APIGatewayRestResolver) -> dict:
    routes = {(r.method.lower(), r.openapi_path): r for r in app._static_routes + app._dynamic_routes}
    for route in routes.values():
        route.security = route.security or _implied(route)[0]
        if route.responses and route.status_code not in route.responses:  # its return type, documented
            route.responses = {route.status_code: {"description": "success"}, **route.responses}
    schema = json.loads(
        app.get_openapi_json_schema(
            title=TITLE,
            version=VERSION,
            description=(
                'AI background removal. Errors are `{"error": {"code", "message"}}`; a 422\'s '
                "message names the field, the rule and its limit. Webhooks: see docs/api.md."
            ),
            servers=[Server(url="/")],
            security_schemes=SECURITY_SCHEMES,
        )
    )
    _hoist(schema, ErrorResponse, *BODY_MODELS.values())
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses, implied = operation["responses"], _implied(routes[method, path])[1]
            responses.get("204", {}).pop("content", None)  # No Content: a body powertools assumes
            for status in [s for s in responses if int(s) in (422, 500) and int(s) not in implied]:
                del responses[status]  # powertools' defaults, where the route cannot give them
            for status in implied:
                content = responses.get(str(status), {}).get("content", {}).get("application/json", {})
                ref = content.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
                if not content or ref in POWERTOOLS_ERROR_SCHEMAS:  # a route's own error shape stays
                    responses[str(status)] = {**responses.get(str(status), {}), **_error(status)}
    for name in POWERTOOLS_ERROR_SCHEMAS:
        schema["components"]["schemas"].pop(name, None)
    schema["paths"][MCP] = _mcp_operation()
    return schema


router = Router()  # the document's own routes, served by the account function


@router.get("/api/openapi.json", summary="This API's OpenAPI document (every route of every function)")
def openapi_document():
    return Response(200, content_types.APPLICATION_JSON, document())


@router.get(
    "/api/docs",
    summary="Swagger UI for this API",
    responses={200: {"description": "the page", "content": {"text/html": {"schema": {"type": "string"}}}}},
)
def docs():
    return Response(200, "text/html", swagger_html())


ROUTERS = (
    upload.router,
    pricing.router,
    account.router,
    apikeys.router,
    removebg.router,
    payments.router,
    router,
)


@cache
def document() -> str:
    return json.dumps(describe(resolver.build(*ROUTERS)))


@cache
def swagger_html() -> str:
    assets = Path(swagger_ui.__file__).parent
    return generate_swagger_html(
        document().replace("</", "<\\/"),
        (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        "",
        None,
    )
