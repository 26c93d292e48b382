"""Local bearer tokens: what the local API accepts, and everything it must refuse."""

import base64
import json
import stat

import jwt
import pytest

from bgr_local import tokens

SECRET = b"test-secret"


def test_a_signed_token_verifies_to_its_claims():
    claims = tokens.verify(tokens.sign("alice", ("admin", "ops"), secret=SECRET), secret=SECRET)
    assert claims["sub"] == "alice"
    assert claims["cognito:groups"] == ["admin", "ops"]
    assert claims["exp"] > claims["iat"]


def test_a_token_without_groups_has_no_groups_claim():
    assert "cognito:groups" not in tokens.verify(tokens.sign("bob", secret=SECRET), secret=SECRET)


def _forge(token: str, **changes) -> str:
    header, claims, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(claims + "=="))
    forged = base64.urlsafe_b64encode(json.dumps({**payload, **changes}).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-token",
        "a.b.c",
        _forge(tokens.sign("alice", secret=SECRET), sub="mallory"),
        _forge(tokens.sign("alice", secret=SECRET), **{"cognito:groups": ["admin"]}),
        tokens.sign("alice", secret=b"another secret"),
        tokens.sign("alice", secret=SECRET, ttl_s=-1),
        tokens.sign("alice", secret=SECRET)[:-2] + "é",
        tokens.sign("alice", secret=SECRET) + "\udcc3",  # a header byte that is not UTF-8
        tokens.sign("", secret=SECRET),
        jwt.encode({"sub": "alice", "iss": "elsewhere", "exp": 2**40}, SECRET, algorithm="HS256"),
        jwt.encode({"sub": "alice", "iss": tokens.ISSUER}, SECRET, algorithm="HS256"),
    ],
    ids=[
        "empty",
        "one part",
        "garbage",
        "forged sub",
        "forged groups",
        "other secret",
        "expired",
        "non-ascii signature",
        "undecodable byte",
        "empty subject",
        "other issuer",
        "no expiry",
    ],
)
def test_bad_tokens_are_refused(token):
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(token, secret=SECRET)


def test_an_unsigned_alg_none_token_is_refused():
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    _, claims, _ = tokens.sign("alice", secret=SECRET).split(".")
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(f"{header}.{claims}.", secret=SECRET)


def test_authorizer_claims_are_strings_with_groups_comma_separated():
    claims = tokens.authorizer_claims(
        tokens.verify(tokens.sign("a", ("admin", "x"), secret=SECRET), secret=SECRET)
    )
    assert claims["sub"] == "a" and claims["cognito:groups"] == "admin,x"
    assert all(isinstance(v, str) for v in claims.values())


def test_the_secret_comes_from_the_environment_first(monkeypatch, tmp_path):
    monkeypatch.setattr(tokens, "SECRET_PATH", tmp_path / ".local" / "secret")
    monkeypatch.setenv(tokens.SECRET_ENV, "from-env")
    assert tokens.local_secret() == b"from-env"
    assert not (tmp_path / ".local").exists()


def test_the_secret_file_is_generated_once_and_private(monkeypatch, tmp_path):
    path = tmp_path / ".local" / "secret"
    monkeypatch.setattr(tokens, "SECRET_PATH", path)
    monkeypatch.delenv(tokens.SECRET_ENV, raising=False)
    first = tokens.local_secret()
    assert len(first) >= 32 and tokens.local_secret() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
