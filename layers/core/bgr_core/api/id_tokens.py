"""Verifying an ID token where API Gateway did not: public routes (the quote) run
without the Cognito authorizer, which gives them no claims, so a token sent there is checked here.

In AWS it is a Cognito ID token: RS256, signed by a key of the user pool's JWKS
(`<issuer>/.well-known/jwks.json`), issued by ID_TOKEN_ISSUER for the app client ID_TOKEN_AUDIENCE,
`token_use` "id", unexpired. The local runtime stands in for Cognito with HS256 tokens under its
own secret: it sets LOCAL_TOKEN_SECRET (and its issuer), which the template never does.
"""

from functools import cache

import jwt

from ..config import get_settings
from ..errors import Unauthorized


@cache
def _jwks(issuer: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json", cache_keys=True, timeout=5)


def verify(token: str) -> dict:
    """The token's claims; Unauthorized (401) when it is malformed, forged, foreign or expired."""
    s = get_settings()
    required = {"require": ["exp", "iss", "sub"]}
    try:
        if s.local_token_secret:
            claims = jwt.decode(
                token, s.local_token_secret, algorithms=["HS256"], issuer=s.id_token_issuer, options=required
            )
        else:
            key = _jwks(s.id_token_issuer).get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=s.id_token_issuer,
                audience=s.id_token_audience,
                options={"require": [*required["require"], "aud"]},
            )
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"the bearer token is not valid ({exc})") from exc
    if claims.get("token_use") != "id":
        raise Unauthorized("the bearer token is not an ID token")
    return claims
