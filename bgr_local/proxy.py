"""HTTP requests as API Gateway REST proxy events, and Lambda proxy results back as HTTP."""

import base64
import fnmatch
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from .routes import Match


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str  # path and query as sent: "/api/x?wait=5"
    headers: list[tuple[str, str]]  # as sent, in order, duplicates kept
    body: bytes
    source_ip: str = "127.0.0.1"

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return values[-1] if values else None


def is_binary(content_type: str | None, binary_media_types: list[str]) -> bool:
    """As API Gateway decides it: the request's media type against the API's BinaryMediaTypes
    (template spelling, `~1` for `/`; `*` wildcards allowed)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return bool(media_type) and any(
        fnmatch.fnmatchcase(media_type, t.replace("~1", "/").lower()) for t in binary_media_types
    )


def _multi(pairs: list[tuple[str, str]]) -> tuple[dict | None, dict | None]:
    if not pairs:
        return None, None
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    return {k: v[-1] for k, v in multi.items()}, multi


def proxy_event(
    request: HttpRequest,
    match: Match,
    *,
    authorizer: dict | None,
    stage: str,
    binary_media_types: list[str],
) -> dict:
    headers, multi_headers = _multi(request.headers)
    query = request.target.split("?", 1)[1] if "?" in request.target else ""
    params, multi_params = _multi(parse_qsl(query, keep_blank_values=True))
    if not request.body:
        body, encoded = None, False
    elif is_binary(request.header("Content-Type"), binary_media_types):
        body, encoded = base64.b64encode(request.body).decode(), True
    else:
        body, encoded = request.body.decode("utf-8", errors="replace"), False
    now = datetime.now(UTC)
    context = {
        "resourceId": "local",
        "resourcePath": match.route.resource,
        "httpMethod": request.method,
        "path": f"/{stage}{request.path}",
        "stage": stage,
        "requestId": str(uuid.uuid4()),
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(time.time() * 1000),
        "protocol": "HTTP/1.1",
        "domainName": request.header("Host") or "127.0.0.1",
        "identity": {"sourceIp": request.source_ip, "userAgent": request.header("User-Agent")},
        "accountId": "123456789012",
        "apiId": "local",
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    return {
        "resource": match.route.resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": params,
        "multiValueQueryStringParameters": multi_params,
        "pathParameters": match.path_params or None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": encoded,
    }


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def http_response(result: dict) -> HttpResponse:
    """A Lambda proxy integration result as the HTTP response API Gateway would send."""
    headers = {k: [str(v)] for k, v in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[key] = [str(v) for v in values]
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
    return HttpResponse(
        int(result.get("statusCode", 200)), [(k, v) for k, vs in headers.items() for v in vs], body
    )
