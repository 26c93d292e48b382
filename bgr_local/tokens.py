"""The local runtime's stand-in for the Cognito user pool: ID tokens carrying the claims a Cognito
ID token gives API Gateway (`sub`, `cognito:groups`, `token_use`, `aud`), signed with an Ed25519
key derived from the local secret, so the local API can fill the authorizer claims the way the
Cognito authorizer does; and the key set the functions that verify a token themselves (public
routes, bgr_core.api.id_tokens) are handed, as they are handed the user pool's in AWS."""

import base64
import hashlib
import json
import os
import secrets
import time

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .template import ROOT

ISSUER = "bgr-local"
AUDIENCE = "bgr-local-web"
ALGORITHM = "EdDSA"
KEY_ID = "bgr-local-1"
SECRET_ENV = "BGR_LOCAL_SECRET"
SECRET_PATH = ROOT / ".local" / "secret"
DEFAULT_TTL_S = 7 * 24 * 3600


class InvalidToken(Exception):
    pass


class ExpiredToken(InvalidToken):
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


def _key(secret: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"bgr-local-id-token\n" + secret).digest())


def key_set(secret: bytes) -> dict:
    """The issuer's public keys as a JWKS document (what Cognito serves at its jwks.json)."""
    public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(_key(secret).public_key()))
    return {"keys": [{**public, "kid": KEY_ID, "alg": ALGORITHM, "use": "sig"}]}


def verifier_environment(secret: bytes | None = None) -> dict[str, str]:
    """What the template gives functions that verify a token themselves (ID_TOKEN_*), for the
    local issuer: its key set travels as a data: URL, which urllib reads as it reads Cognito's
    https one, so nothing needs to serve it."""
    document = json.dumps(key_set(secret or local_secret())).encode()
    return {
        "ID_TOKEN_ISSUER": ISSUER,
        "ID_TOKEN_AUDIENCE": AUDIENCE,
        "ID_TOKEN_JWKS_URL": "data:application/json;base64," + base64.b64encode(document).decode(),
    }


def sign(user_id: str, groups: tuple[str, ...] = (), *, secret: bytes, ttl_s: int = DEFAULT_TTL_S) -> str:
    now = int(time.time())
    claims = {
        "sub": user_id,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl_s,
        "token_use": "id",
    }
    if groups:
        claims["cognito:groups"] = list(groups)
    return jwt.encode(claims, _key(secret), algorithm=ALGORITHM, headers={"kid": KEY_ID})


def verify(token: str, *, secret: bytes) -> dict:
    """The token's claims; InvalidToken when it is malformed, forged, from elsewhere or expired."""
    # A header may carry any byte; a JWT is base64url and dots (PyJWT's decoder would skip the rest).
    if not token.isascii():
        raise InvalidToken("malformed token")
    try:
        claims = jwt.decode(
            token,
            _key(secret).public_key(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            audience=AUDIENCE,
            options={"require": ["exp", "iss", "sub", "aud"]},
        )
    except jwt.ExpiredSignatureError as err:
        raise ExpiredToken(str(err)) from err
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
