"""The REST API on a local port: each request is authorized like the Cognito authorizer would,
turned into the API Gateway proxy event and run by the function that owns its route."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import tokens
from .functions import Functions
from .proxy import HttpRequest, HttpResponse, http_response, proxy_event
from .routes import resolve, routes
from .template import Template
from .webapp import WebApp

logger = logging.getLogger(__name__)


def _error(status: int, code: str, message: str) -> HttpResponse:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return HttpResponse(status, [("Content-Type", "application/json")], body)


class LocalApi:
    def __init__(self, template: Template, functions: Functions, secret: bytes):
        api = next(iter(template.of_type("AWS::Serverless::Api").values()))["Properties"]
        self.stage = str(template.resolve(api.get("StageName", "Prod")))
        self.binary_media_types = api.get("BinaryMediaTypes", [])
        self.routes = routes(template)
        self.functions = functions
        self.secret = secret

    def handle(self, request: HttpRequest) -> HttpResponse:
        match = resolve(self.routes, request.method, request.path)
        if match is None:
            return _error(404, "NOT_FOUND", f"no route for {request.path}")
        if match is False:
            return _error(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {request.path}")
        claims = None
        if not match.route.public:
            token = (request.header("Authorization") or "").removeprefix("Bearer ").strip()
            try:
                claims = tokens.authorizer_claims(tokens.verify(token, secret=self.secret))
            except tokens.InvalidToken as err:
                return _error(401, "UNAUTHORIZED", f"a valid bearer token is required ({err})")
        event = proxy_event(
            request, match, claims=claims, stage=self.stage, binary_media_types=self.binary_media_types
        )
        try:
            return http_response(self.functions.invoke(match.route.function, event))
        except Exception:  # what API Gateway answers when the integration fails
            logger.exception("%s failed", match.route.function)
            return _error(502, "BAD_GATEWAY", f"{match.route.function} failed")


class _Handler(BaseHTTPRequestHandler):
    server: "ApiServer"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = HttpRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=self.rfile.read(length) if length else b"",
            source_ip=self.client_address[0],
        )
        response = self.server.web.handle(request) if self.server.web else None
        if response is None:
            response = self.server.api.handle(request)
        self.send_response(response.status)
        for key, value in response.headers:
            if key.lower() not in ("content-length", "transfer-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def log_message(self, format, *args):
        logger.info("%s %s", self.address_string(), format % args)


class ApiServer(ThreadingHTTPServer):
    """HTTP/1.0 (one request per connection), so closing the server joins every request thread."""

    def __init__(self, api: LocalApi, host: str, port: int, web: WebApp | None = None):
        super().__init__((host, port), _Handler)
        self.api = api
        self.web = web
        self._thread = threading.Thread(target=self.serve_forever, name="local-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "ApiServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()
