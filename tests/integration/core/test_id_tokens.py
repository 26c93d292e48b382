"""The AWS path of public routes' token check: a Cognito-style RS256 ID token verified against
the issuer's JWKS, served here by a local HTTP server as Cognito serves it."""

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bgr_core.api import id_tokens
from bgr_core.platform.errors import Unauthorized
from http_stub import QuietHandler, base_url, http_server

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWK = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key())), "kid": "k1", "use": "sig"}


@pytest.fixture
def issuer(settings_env):
    class Jwks(QuietHandler):
        def do_GET(self):
            if self.path == "/pool/.well-known/jwks.json":
                self.answer(200, json.dumps({"keys": [JWK]}).encode(), {"Content-Type": "application/json"})
            else:
                self.answer(404)

    with http_server(Jwks) as server:
        url = f"{base_url(server)}/pool"
        settings_env(
            ID_TOKEN_ISSUER=url,
            ID_TOKEN_AUDIENCE="client-1",
            ID_TOKEN_JWKS_URL=f"{url}/.well-known/jwks.json",
        )
        id_tokens._jwks.cache_clear()
        yield url


def token(issuer: str, key=KEY, **claims) -> str:
    now = int(time.time())
    body = {"sub": "alice", "iss": issuer, "aud": "client-1", "token_use": "id", "exp": now + 60, **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


def test_a_cognito_id_token_is_verified_against_the_pools_keys(issuer):
    assert id_tokens.verify(token(issuer))["sub"] == "alice"


@pytest.mark.parametrize(
    "bad",
    [
        {"aud": "another-client"},
        {"iss": "https://elsewhere.example"},
        {"token_use": "access"},
        {"exp": 1},
        {"key": rsa.generate_private_key(public_exponent=65537, key_size=2048)},
    ],
    ids=["audience", "issuer", "access-token", "expired", "foreign-key"],
)
def test_anything_else_is_401(issuer, bad):
    with pytest.raises(Unauthorized):
        id_tokens.verify(token(issuer, **bad))


def test_hs256_is_refused(issuer):
    forged = jwt.encode(
        {"sub": "alice", "iss": issuer, "exp": int(time.time()) + 60}, "guess", algorithm="HS256"
    )
    with pytest.raises(Unauthorized):
        id_tokens.verify(forged)


def test_a_symmetric_key_in_the_key_set_is_refused(settings_env):
    """Even an issuer's key set cannot make a shared secret (HS256) acceptable."""
    oct_key = {"kty": "oct", "k": "c2VjcmV0", "kid": "k1"}
    url = "data:application/json," + json.dumps({"keys": [oct_key]})
    settings_env(
        ID_TOKEN_ISSUER="https://issuer.example", ID_TOKEN_AUDIENCE="client-1", ID_TOKEN_JWKS_URL=url
    )
    claims = {
        "sub": "alice",
        "iss": "https://issuer.example",
        "aud": "client-1",
        "token_use": "id",
        "exp": 2**40,
    }
    with pytest.raises(Unauthorized):
        id_tokens.verify(jwt.encode(claims, "secret", algorithm="HS256", headers={"kid": "k1"}))
