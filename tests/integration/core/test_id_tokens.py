"""The AWS path of public routes' token check: a Cognito-style RS256 ID token verified against
the issuer's JWKS, served here by a local HTTP server as Cognito serves it."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bgr_core.api import id_tokens
from bgr_core.errors import Unauthorized

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWK = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key())), "kid": "k1", "use": "sig"}


@pytest.fixture
def issuer(settings_env):
    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"keys": [JWK]}).encode() if self.path == "/pool/.well-known/jwks.json" else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/pool"
    settings_env(ID_TOKEN_ISSUER=url, ID_TOKEN_AUDIENCE="client-1", LOCAL_TOKEN_SECRET="")
    id_tokens._jwks.cache_clear()
    yield url
    server.shutdown()
    server.server_close()


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


def test_hs256_is_refused_in_aws_mode(issuer):
    forged = jwt.encode(
        {"sub": "alice", "iss": issuer, "exp": int(time.time()) + 60}, "guess", algorithm="HS256"
    )
    with pytest.raises(Unauthorized):
        id_tokens.verify(forged)
