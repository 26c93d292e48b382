"""Locally signed bearer tokens: HS256 JWTs carrying the claims a Cognito ID token gives API
Gateway (`sub`, `cognito:groups`), so the local API can fill the authorizer claims the way the
Cognito authorizer does."""

import os
import secrets
import time

import jwt

from .template import ROOT

ISSUER = "bgr-local"
SECRET_ENV = "BGR_LOCAL_SECRET"
SECRET_PATH = ROOT / ".local" / "secret"
DEFAULT_TTL_S = 7 * 24 * 3600


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


def sign(user_id: str, groups: tuple[str, ...] = (), *, secret: bytes, ttl_s: int = DEFAULT_TTL_S) -> str:
    now = int(time.time())
    claims = {"sub": user_id, "iss": ISSUER, "iat": now, "exp": now + ttl_s, "token_use": "id"}
    if groups:
        claims["cognito:groups"] = list(groups)
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(token: str, *, secret: bytes) -> dict:
    """The token's claims; InvalidToken when it is malformed, forged, from elsewhere or expired."""
    # A header may carry any byte; a JWT is base64url and dots (PyJWT's decoder would skip the rest).
    if not token.isascii():
        raise InvalidToken("malformed token")
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "iss", "sub"]}
        )
    except jwt.PyJWTError as err:
        raise InvalidToken(str(err)) from err
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise InvalidToken("no subject")
    return claims


def authorizer_claims(claims: dict) -> dict[str, str]:
    """Claims as API Gateway's Cognito authorizer passes them: every value a string, groups
    comma-separated."""
    out = {k: str(v) for k, v in claims.items() if k != "cognito:groups"}
    if claims.get("cognito:groups"):
        out["cognito:groups"] = ",".join(claims["cognito:groups"])
    return out
