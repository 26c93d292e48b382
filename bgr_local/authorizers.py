"""The Api's authorizers (template.yaml `Auth.Authorizers`), run locally before a route's function:
each takes the HTTP request and gives what API Gateway puts in `requestContext.authorizer`, or
refuses it with the gateway response type API Gateway would answer with."""

from collections.abc import Callable

from . import tokens
from .gateway import api_properties
from .proxy import HttpRequest
from .template import Template

Authorizer = Callable[[HttpRequest], dict]


class Refused(Exception):
    def __init__(self, response_type: str, message: str | None = None):
        super().__init__(message or response_type)
        self.response_type, self.message = response_type, message


def cognito(secret: bytes) -> Authorizer:
    """A Cognito user pool authorizer: locally, a token signed with the local secret (SPEC §10)
    in the Authorization header gives its claims."""

    def authorize(request: HttpRequest) -> dict:
        token = (request.header("Authorization") or "").removeprefix("Bearer ").strip()
        if not token:
            raise Refused("UNAUTHORIZED")
        try:
            return {"claims": tokens.authorizer_claims(tokens.verify(token, secret=secret))}
        except tokens.InvalidToken as err:
            raise Refused("UNAUTHORIZED") from err

    return authorize


def authorizers(template: Template, secret: bytes) -> dict[str, Authorizer]:
    found = {}
    for name, definition in (api_properties(template).get("Auth") or {}).get("Authorizers", {}).items():
        if "UserPoolArn" not in definition:
            raise NotImplementedError(f"authorizer {name}: only Cognito user pools run locally")
        found[name] = cognito(secret)
    return found
