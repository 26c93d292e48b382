"""The web app on the local API's origin: the built single-page app (`web/dist`, made
by `make setup`), its `config.json`, and a local-only sign-in that issues the token `make token`
would print. In AWS the app is served by CloudFront and people sign in through Cognito; none of
this runs there. What CloudFront adds to every response of the app (the template's
WebSecurityHeaders: CSP, HSTS, nosniff, referrer and frame policies) is added here too, the CSP's
origins being the local ones, so the app is run and tested under the policy it is deployed with."""

import json
import mimetypes
import re
from pathlib import Path

from . import tokens
from .proxy import HttpRequest, HttpResponse
from .template import ROOT, Template

DIST = ROOT / "web" / "dist"
SIGN_IN = "/local/sign-in"
USER_ID = re.compile(r"^[A-Za-z0-9_.@+-]{1,128}$")
# Paths the API owns; everything else a browser GETs is the app's.
API_PREFIXES = ("/api/", "/health", "/v1.0/")


def _json(status: int, body: dict) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], json.dumps(body).encode())


def security_headers(template: Template, images_origin: str) -> list[tuple[str, str]]:
    """The template's WebSecurityHeaders as headers, its CSP's origins the local runtime's: the API
    and the sign-in are this origin ('self'), the images bucket is `images_origin` (moto's S3)."""
    config = template.resources["WebSecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    policy = config["SecurityHeadersConfig"]
    text, origins = policy["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    local = {"Api": "", "SignIn": "", "Images": images_origin}
    if set(origins) != set(local):
        raise ValueError(f"the CSP names origins {sorted(origins)}; the local runtime knows {sorted(local)}")
    hsts = policy["StrictTransportSecurity"]
    return [
        ("Content-Security-Policy", " ".join(template.resolve({"Fn::Sub": [text, local]}).split())),
        (
            "Strict-Transport-Security",
            f"max-age={hsts['AccessControlMaxAgeSec']}"
            + ("; includeSubDomains" if hsts["IncludeSubdomains"] else ""),
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", policy["ReferrerPolicy"]["ReferrerPolicy"]),
        ("X-Frame-Options", policy["FrameOptions"]["FrameOption"]),
    ]


def _error(status: int, code: str, message: str) -> HttpResponse:
    return _json(status, {"error": {"code": code, "message": message}})


class WebApp:
    def __init__(self, secret: bytes, dist: Path = DIST, headers: list[tuple[str, str]] = ()):
        self.secret = secret
        self.dist = dist.resolve()
        self.headers = list(headers)  # what CloudFront adds to each of the app's responses

    def handle(self, request: HttpRequest) -> HttpResponse | None:
        """The response when the request is the web app's, None when it is the API's."""
        response = self._app(request)
        if response is not None and request.path != SIGN_IN:
            response.headers.extend(self.headers)
        return response

    def _app(self, request: HttpRequest) -> HttpResponse | None:
        if request.path == SIGN_IN:
            return (
                self.sign_in(request)
                if request.method == "POST"
                else _error(405, "METHOD_NOT_ALLOWED", "POST")
            )
        if request.method not in ("GET", "HEAD") or request.path.startswith(API_PREFIXES):
            return None
        if request.path == "/config.json":
            return _json(200, {"apiUrl": "", "auth": {"mode": "local"}})
        return self.static(request.path)

    def sign_in(self, request: HttpRequest) -> HttpResponse:
        try:
            body = json.loads(request.body or b"{}")
            user, admin = body["user"], bool(body.get("admin", False))
        except (ValueError, KeyError, TypeError, AttributeError):
            return _error(400, "BAD_REQUEST", 'send {"user": "<name>", "admin": false}')
        if not isinstance(user, str) or not USER_ID.match(user):
            return _error(422, "VALIDATION_ERROR", "user: 1-128 letters, digits or _ . @ + -")
        token = tokens.sign(user, ("admin",) if admin else (), secret=self.secret)
        return _json(200, {"token": token, "user": user, "admin": admin})

    def static(self, path: str) -> HttpResponse | None:
        if not (self.dist / "index.html").exists():
            return _error(
                503, "WEB_APP_NOT_BUILT", "the web app is not built: run `make web` (make setup does)"
            )
        target = (self.dist / path.lstrip("/")).resolve()
        if path.endswith("/"):
            target = target / "index.html"
        if not target.is_relative_to(self.dist) or not target.is_file():
            return None
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        # Vite names assets by content hash: they never change; index.html must be revalidated.
        cache = "public, max-age=31536000, immutable" if "/assets/" in path else "no-cache"
        return HttpResponse(
            200, [("Content-Type", content_type), ("Cache-Control", cache)], target.read_bytes()
        )
