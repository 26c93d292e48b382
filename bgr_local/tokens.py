"""Locally signed bearer tokens: HS256 JWTs carrying the claims a Cognito ID token gives API
Gateway (`sub`, `cognito:groups`), so the local API can fill the authorizer claims the way the
Cognito authorizer does."""

import base64
import hashlib
import hmac
import json
import os
import secrets
import time

from .template import ROOT

ISSUER = "bgr-local"
SECRET_ENV = "BGR_LOCAL_SECRET"
SECRET_PATH = ROOT / ".local" / "secret"
DEFAULT_TTL_S = 7 * 24 * 3600
_HEADER = {"alg": "HS256", "typ": "JWT"}


class InvalidToken(Exception):
    pass


def local_secret() -> bytes:
    """BGR_LOCAL_SECRET, else `.local/secret` (generated on first use, readable by its owner only)."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV].encode()
    if not SECRET_PATH.exists():
        SECRET_PATH.parent.mkdir(exist_ok=True)
        fd = os.open(SECRET_PATH, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    return SECRET_PATH.read_text().strip().encode()


def verifier_environment() -> dict[str, str]:
    """Cognito's stand-in for functions that verify a token themselves (public routes, see
    bgr_core.api.id_tokens): the local issuer and secret instead of the user pool's."""
    return {"ID_TOKEN_ISSUER": ISSUER, "LOCAL_TOKEN_SECRET": local_secret().decode()}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, signing_input: str) -> str:
    return _b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())


def sign(user_id: str, groups: tuple[str, ...] = (), *, secret: bytes, ttl_s: int = DEFAULT_TTL_S) -> str:
    now = int(time.time())
    claims = {"sub": user_id, "iss": ISSUER, "iat": now, "exp": now + ttl_s, "token_use": "id"}
    if groups:
        claims["cognito:groups"] = list(groups)
    signing_input = ".".join(
        _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (_HEADER, claims)
    )
    return f"{signing_input}.{_signature(secret, signing_input)}"


def verify(token: str, *, secret: bytes, now: float | None = None) -> dict:
    """The token's claims; InvalidToken when it is malformed, forged, from elsewhere or expired."""
    try:
        header_b64, claims_b64, signature = token.split(".")
        header, claims = json.loads(_unb64(header_b64)), json.loads(_unb64(claims_b64))
    except ValueError as err:  # wrong part count, bad base64 or bad JSON
        raise InvalidToken("malformed token") from err
    expected = _signature(secret, f"{header_b64}.{claims_b64}").encode()
    # bytes, not str: compare_digest refuses non-ASCII text, and a header may carry any byte
    if not hmac.compare_digest(signature.encode("utf-8", "surrogateescape"), expected):
        raise InvalidToken("bad signature")
    if header != _HEADER or not isinstance(claims, dict) or claims.get("iss") != ISSUER:
        raise InvalidToken("not a local token")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidToken("no subject")
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= (time.time() if now is None else now):
        raise InvalidToken("expired")
    return claims


def authorizer_claims(claims: dict) -> dict[str, str]:
    """Claims as API Gateway's Cognito authorizer passes them: every value a string, groups
    comma-separated."""
    out = {k: str(v) for k, v in claims.items() if k != "cognito:groups"}
    if claims.get("cognito:groups"):
        out["cognito:groups"] = ",".join(claims["cognito:groups"])
    return out
