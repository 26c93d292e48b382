"""The REST API on a local port, as API Gateway serves it from template.yaml: the gateway's own
answers (preflight, throttling, authorizers' refusals, unknown routes, failed integrations) from
the Api's Cors, MethodSettings, Auth and GatewayResponses, and every other request turned into the
REST proxy event and run by the function that owns its route."""

import logging
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .authorizers import Authorizer, Refused, authorizers
from .functions import Functions
from .gateway import Cors, GatewayResponses, Throttle, api_properties
from .proxy import HttpRequest, HttpResponse, http_response, proxy_event
from .routes import resolve, routes
from .template import Template
from .webapp import WebApp

logger = logging.getLogger(__name__)


class LocalApi:
    def __init__(
        self,
        template: Template,
        functions: Functions,
        secret: bytes,
        *,
        authorizers_: dict[str, Authorizer] | None = None,
        throttle: Throttle | None = None,
    ):
        api = api_properties(template)
        self.stage = str(template.resolve(api.get("StageName", "Prod")))
        self.binary_media_types = api.get("BinaryMediaTypes", [])
        self.routes = routes(template)
        self.functions = functions
        if authorizers_ is None:
            authorizers_ = authorizers(template, secret, functions.invoke)
        self.authorizers = authorizers_
        self.cors = Cors.of(template)
        self.gateway = GatewayResponses(template)
        self.throttle = Throttle(template) if throttle is None else throttle

    def handle(self, request: HttpRequest) -> HttpResponse:
        match = resolve(self.routes, request.method, request.path)
        if not match:
            methods = [r.method for r in self.routes if r.pattern.match(request.path)]
            if methods and request.method == "OPTIONS" and self.cors is not None:
                return self.cors.preflight(methods)
            return self.gateway.respond("MISSING_AUTHENTICATION_TOKEN")
        if not self.throttle.take():
            return self.gateway.respond("THROTTLED")
        authorizer = None
        if match.route.authorizer is not None:
            try:
                authorizer = self.authorizers[match.route.authorizer](request)
            except Refused as refused:
                return self.gateway.respond(refused.response_type, refused.message)
        event = proxy_event(
            request,
            match,
            authorizer=authorizer,
            stage=self.stage,
            binary_media_types=self.binary_media_types,
        )
        try:
            return http_response(self.functions.invoke(match.route.function, event))
        except Exception:  # the integration failed: API Gateway's 502
            logger.exception("%s failed", match.route.function)
            return self.gateway.respond("DEFAULT_5XX")


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
        try:
            response = self.server.web.handle(request) if self.server.web else None
            if response is None:
                response = self.server.api.handle(request)
        except Exception:  # a bug of the local API: answered, never a dropped connection
            logger.exception("%s %s failed", self.command, self.path)
            response = self.server.api.gateway.respond("DEFAULT_5XX", status=500)
        self.send_response(response.status)
        for key, value in response.headers:
            if key.lower() not in ("content-length", "transfer-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def __getattr__(self, name: str):
        """Every method (`do_<METHOD>`) reaches the gateway, which answers those no route has as
        API Gateway does (not http.server's 501)."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format, *args):
        logger.info("%s %s", self.address_string(), format % args)


class ApiServer(ThreadingHTTPServer):
    """HTTP/1.0 (one request per connection), so closing the server joins every request thread."""

    request_queue_size = 1024  # the listen backlog (socketserver's 5 resets a burst of clients)

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

    def handle_error(self, request, client_address) -> None:
        """A client that went away mid-answer (a browser tab closed, a download cancelled) is one
        log line, not a traceback; anything else is reported as socketserver reports it."""
        if isinstance(sys.exc_info()[1], ConnectionError):  # BrokenPipeError, ConnectionResetError
            logger.info("%s went away before its answer was sent", client_address[0])
            return
        super().handle_error(request, client_address)

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for serve_forever, forever if never started
            self.shutdown()
            self._thread.join()
        self.server_close()
