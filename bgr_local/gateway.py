"""What API Gateway answers itself, before any function runs, as template.yaml's Api declares it:
CORS preflight (`Cors`), its own error responses (`GatewayResponses`, a type not declared falling
back to DEFAULT_4XX / DEFAULT_5XX, then to API Gateway's `{"message"}`), and stage throttling
(`MethodSettings`' burst and rate, a token bucket)."""

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from .proxy import HttpResponse
from .template import Template

# API Gateway's status and message for the response types the local API produces.
DEFAULTS = {
    "UNAUTHORIZED": (401, "Unauthorized"),
    "ACCESS_DENIED": (403, "User is not authorized to access this resource"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "THROTTLED": (429, "Too Many Requests"),
    "AUTHORIZER_FAILURE": (500, "Authorizer error"),
    "DEFAULT_4XX": (400, "Bad Request"),
    "DEFAULT_5XX": (502, "Internal server error"),  # what a failed Lambda proxy integration answers
}


def _static(value) -> str:
    """A header value as the template writes a static one: `'*'` is the string *."""
    text = str(value)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


def api_properties(template: Template) -> dict:
    ((_, api),) = template.of_type("AWS::Serverless::Api").items()
    return api["Properties"]


@dataclass(frozen=True)
class Cors:
    allow_origin: str
    allow_methods: str | None  # None: the path's own methods, as SAM fills them in
    allow_headers: str | None
    max_age: str | None
    allow_credentials: bool

    @classmethod
    def of(cls, template: Template) -> "Cors | None":
        cors = api_properties(template).get("Cors")
        if cors is None:
            return None
        if isinstance(cors, str):  # `Cors: "'*'"` is the origin alone
            cors = {"AllowOrigin": cors}
        get = lambda key: _static(cors[key]) if key in cors else None  # noqa: E731
        return cls(
            get("AllowOrigin") or "*",
            get("AllowMethods"),
            get("AllowHeaders"),
            get("MaxAge"),
            bool(cors.get("AllowCredentials", False)),
        )

    def preflight(self, path_methods: list[str]) -> HttpResponse:
        """The OPTIONS method SAM adds to every path: a mock integration answering 200."""
        methods = self.allow_methods or ",".join(sorted({*path_methods, "OPTIONS"}))
        headers = [
            ("Access-Control-Allow-Origin", self.allow_origin),
            ("Access-Control-Allow-Methods", methods),
        ]
        if self.allow_headers:
            headers.append(("Access-Control-Allow-Headers", self.allow_headers))
        if self.max_age:
            headers.append(("Access-Control-Max-Age", self.max_age))
        if self.allow_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        return HttpResponse(200, [("Content-Type", "application/json"), *headers], b"")


class GatewayResponses:
    def __init__(self, template: Template):
        self.declared = api_properties(template).get("GatewayResponses", {})

    def respond(
        self, response_type: str, message: str | None = None, *, status: int | None = None
    ) -> HttpResponse:
        """The response API Gateway sends for `response_type`: its declared status, headers and
        application/json template ($context.error.* and $context.requestId filled in)."""
        default_status, default_message = DEFAULTS[response_type]
        status = status or default_status
        message = message or default_message
        fallback = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
        declared = self.declared.get(response_type) or self.declared.get(fallback)
        if declared is None:
            body = json.dumps({"message": message})
            return HttpResponse(status, [("Content-Type", "application/json")], body.encode())
        if response_type in self.declared and "StatusCode" in declared:
            status = int(declared["StatusCode"])
        headers = (declared.get("ResponseParameters") or {}).get("Headers") or {}
        template = (declared.get("ResponseTemplates") or {}).get("application/json")
        if template is None:
            body = json.dumps({"message": message})
        else:
            variables = {
                "$context.error.messageString": json.dumps(message),
                "$context.error.message": message,
                "$context.error.responseType": response_type,
                "$context.requestId": str(uuid.uuid4()),
            }
            body = template
            for name, value in variables.items():  # longest names first: messageString before message
                body = body.replace(name, value)
        return HttpResponse(
            status,
            [("Content-Type", "application/json"), *((k, _static(v)) for k, v in headers.items())],
            body.encode(),
        )


class Throttle:
    """The stage's throttling (MethodSettings on `/*` `*`): a token bucket of ThrottlingBurstLimit
    tokens refilled at ThrottlingRateLimit a second. No settings: no throttling."""

    def __init__(self, template: Template, clock: Callable[[], float] = time.monotonic):
        settings = next(
            (
                s
                for s in api_properties(template).get("MethodSettings", [])
                if s.get("ResourcePath") == "/*" and s.get("HttpMethod") == "*"
            ),
            {},
        )
        self.burst = float(settings.get("ThrottlingBurstLimit", 0))
        self.rate = float(settings.get("ThrottlingRateLimit", 0))
        self.clock = clock
        self._tokens, self._at = self.burst, clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        if not self.burst and not self.rate:
            return True
        with self._lock:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True
