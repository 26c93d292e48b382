"""Verifying an ID token where API Gateway did not: public routes (the quote) run
without the Cognito authorizer, which gives them no claims, so a token sent there is checked here.

A token is an OpenID Connect ID token of ID_TOKEN_ISSUER for the app client ID_TOKEN_AUDIENCE,
`token_use` "id", unexpired, signed by a key of the issuer's key set at ID_TOKEN_JWKS_URL (in AWS
the user pool's `<issuer>/.well-known/jwks.json`, RS256). The key decides the algorithm, never the
token's header; a symmetric key is refused whatever the key set says.
"""

from functools import cache

import jwt

from bgr_core.platform.config import get_settings
from bgr_core.platform.errors import Unauthorized


@cache
def _jwks(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, timeout=5)


def verify(token: str) -> dict:
    """The token's claims; Unauthorized (401) when it is malformed, forged, foreign or expired."""
    s = get_settings()
    try:
        key = _jwks(s.id_token_jwks_url).get_signing_key_from_jwt(token)
        if key.algorithm_name.startswith("HS"):
            raise jwt.InvalidKeyError("the issuer's key is symmetric")
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[key.algorithm_name],
            issuer=s.id_token_issuer,
            audience=s.id_token_audience,
            options={"require": ["exp", "iss", "sub", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"the bearer token is not valid ({exc})") from exc
    if claims.get("token_use") != "id":
        raise Unauthorized("the bearer token is not an ID token")
    return claims
