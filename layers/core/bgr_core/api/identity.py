"""Who is calling: only ever the API Gateway authorizer's claims, never the body,
the query or a header of the caller's own."""

import re
from dataclasses import dataclass
from typing import Annotated

from aws_lambda_powertools.event_handler import Depends, Request

from bgr_core.api import id_tokens
from bgr_core.platform.errors import Forbidden, Unauthorized

ADMIN_GROUP = "admin"


@dataclass(frozen=True)
class Identity:
    user_id: str
    groups: frozenset[str]
    test: bool = (
        False  # an API key's sandbox (bgr_core.integrations.api_keys): free, preview size, watermarked
    )

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.groups


def _groups(raw) -> frozenset[str]:
    """Cognito groups arrive as a list, a comma-separated string or "[admin other]"."""
    if isinstance(raw, list | tuple):
        return frozenset(str(g) for g in raw)
    return frozenset(g for g in re.split(r"[\s,\[\]]+", raw or "") if g)


def identity_of(event: dict) -> Identity | None:
    """The caller's identity from a raw API Gateway proxy event; None when it carries none."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = authorizer.get("claims") or {}
    sub = claims.get("sub")
    if isinstance(sub, str) and sub.strip():
        return Identity(sub, _groups(claims.get("cognito:groups")))
    # The API key authorizer's context (functions/authorizer): a key acts as its user, never admin.
    user_id = authorizer.get("userId")
    if isinstance(user_id, str) and user_id.strip():
        return Identity(user_id, frozenset(), test=authorizer.get("keyMode") == "test")
    return None


def optional_user(request: Request) -> Identity | None:
    return identity_of(request.resolved_event.raw_event)


def token_user(request: Request) -> Identity | None:
    """On a public route: the authorizer's claims if any, else the bearer token verified here;
    None without a token, 401 with a bad one (never silently treated as anonymous)."""
    identity = optional_user(request)
    header = request.resolved_event.headers.get("authorization") or ""
    if identity is not None or not header:
        return identity
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send `Authorization: Bearer <ID token>`, or no Authorization header")
    return identity_of({"requestContext": {"authorizer": {"claims": id_tokens.verify(token.strip())}}})


def current_user(request: Request) -> Identity:
    identity = optional_user(request)
    if identity is None:
        raise Unauthorized("authentication required")
    return identity


def current_admin(user: Annotated[Identity, Depends(current_user)]) -> Identity:
    if not user.is_admin:
        raise Forbidden("admins only")
    return user


def key_user(user: Annotated[Identity, Depends(current_user)]) -> Identity:
    """The user of a route authorized by `X-Api-Key` (the ApiKeyAuthorizer): the key's owner."""
    return user


User = Annotated[Identity, Depends(current_user)]
KeyUser = Annotated[Identity, Depends(key_user)]
TokenUser = Annotated[Identity | None, Depends(token_user)]
Admin = Annotated[Identity, Depends(current_admin)]
