"""The Api's authorizers (template.yaml `Auth.Authorizers`), run locally before a route's function:
each takes the HTTP request and gives what API Gateway puts in `requestContext.authorizer`, or
refuses it with the gateway response type API Gateway would answer with.

A Cognito user pool authorizer checks a locally signed token. A Lambda REQUEST authorizer runs the
template's authorizer function (its real handler, through the runtime's instances) with the event
API Gateway sends it, and applies the IAM policy it returns: Allow passes its context (and
principalId) on, Deny is ACCESS_DENIED; a request without its identity headers is UNAUTHORIZED
without running it, as is an authorizer that raises "Unauthorized"; any other failure is
AUTHORIZER_FAILURE. Its answer is cached as API Gateway caches it: by the values of its identity
sources, for `ReauthorizeEvery` seconds (API Gateway's default, 300, when not declared; 0: never),
the cached policy judging each later request's own method ARN.
"""

import fnmatch
import threading
import time
from collections.abc import Callable

from . import tokens
from .gateway import api_properties
from .proxy import HttpRequest
from .template import ACCOUNT, Template

Authorizer = Callable[[HttpRequest], dict]
DEFAULT_TTL_S = 300  # API Gateway's authorizer result TTL when ReauthorizeEvery is not given


class Refused(Exception):
    def __init__(self, response_type: str, message: str | None = None):
        super().__init__(message or response_type)
        self.response_type, self.message = response_type, message


EXPIRED = "The incoming token has expired"  # what API Gateway's Cognito authorizer answers


def cognito(secret: bytes) -> Authorizer:
    """A Cognito user pool authorizer: locally, a token signed with the local secret
    in the Authorization header gives its claims; an expired one is refused saying so."""

    def authorize(request: HttpRequest) -> dict:
        token = (request.header("Authorization") or "").removeprefix("Bearer ").strip()
        if not token:
            raise Refused("UNAUTHORIZED")
        try:
            return {"claims": tokens.authorizer_claims(tokens.verify(token, secret=secret))}
        except tokens.ExpiredToken as err:
            raise Refused("UNAUTHORIZED", EXPIRED) from err
        except tokens.InvalidToken as err:
            raise Refused("UNAUTHORIZED") from err

    return authorize


class _Answers:
    """Authorizer answers by identity, each kept `ttl_s` seconds of `clock`."""

    def __init__(self, ttl_s: float, clock: Callable[[], float]):
        self.ttl_s, self.clock = ttl_s, clock
        self._kept: dict[tuple, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def get(self, identity: tuple) -> dict | None:
        with self._lock:
            kept = self._kept.get(identity)
        return kept[1] if kept and kept[0] > self.clock() else None

    def put(self, identity: tuple, answer: dict) -> None:
        if self.ttl_s <= 0:
            return
        now = self.clock()
        with self._lock:
            self._kept = {k: v for k, v in self._kept.items() if v[0] > now}
            self._kept[identity] = (now + self.ttl_s, answer)


def lambda_request(
    template: Template,
    definition: dict,
    invoke: Callable[[str, dict], dict],
    stage: str,
    clock: Callable[[], float] = time.monotonic,
) -> Authorizer:
    """A Lambda authorizer of the REQUEST payload type: `invoke(logical id, event)` runs it."""
    if definition.get("FunctionPayloadType") != "REQUEST":
        raise NotImplementedError("only REQUEST Lambda authorizers run locally")
    target = definition["FunctionArn"]["Fn::GetAtt"]
    function = target[0] if isinstance(target, list) else target.split(".", 1)[0]
    identity = definition.get("Identity") or {}
    ttl_s = float(template.resolve(identity.get("ReauthorizeEvery", DEFAULT_TTL_S)))
    if set(identity) - {"ReauthorizeEvery"} != {"Headers"}:
        ttl_s = 0  # answers are kept by header values: other identity sources are not modelled
    answers = _Answers(ttl_s, clock)

    def authorize(request: HttpRequest) -> dict:
        missing = [h for h in identity.get("Headers", []) if not request.header(h)]
        if missing:
            raise Refused("UNAUTHORIZED", f"the {', '.join(missing)} header is required")
        method_arn = (
            f"arn:aws:execute-api:{template.region}:{ACCOUNT}:local/{stage}/{request.method}{request.path}"
        )
        event = {
            "type": "REQUEST",
            "methodArn": method_arn,
            "path": request.path,
            "httpMethod": request.method,
            "headers": dict(request.headers),
            "requestContext": {"stage": stage, "httpMethod": request.method},
        }
        key = tuple(request.header(h) for h in identity.get("Headers", []))
        answer = answers.get(key)
        if answer is None:
            try:
                answer = invoke(function, event)
            except Exception as err:
                if str(err).endswith("Unauthorized"):  # how an authorizer asks for a 401
                    raise Refused("UNAUTHORIZED") from err
                raise Refused("AUTHORIZER_FAILURE") from err
            answers.put(key, answer)
        if not _allows(answer.get("policyDocument") or {}, method_arn):
            raise Refused(
                "ACCESS_DENIED", "User is not authorized to access this resource with an explicit deny"
            )
        return {**(answer.get("context") or {}), "principalId": answer.get("principalId")}

    return authorize


def _allows(policy: dict, method_arn: str) -> bool:
    """IAM evaluation as far as an authorizer's policy needs it: an explicit Deny wins."""
    allowed = False
    for statement in policy.get("Statement") or []:
        resources = statement.get("Resource")
        resources = resources if isinstance(resources, list) else [resources]
        if not any(fnmatch.fnmatchcase(method_arn, r or "") for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def authorizers(
    template: Template,
    secret: bytes,
    invoke: Callable[[str, dict], dict] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Authorizer]:
    """Every authorizer of the Api by name; Lambda ones run through `invoke`, their answers
    cached by `clock`."""
    api = api_properties(template)
    stage = str(template.resolve(api.get("StageName", "Prod")))
    found = {}
    for name, definition in (api.get("Auth") or {}).get("Authorizers", {}).items():
        if "UserPoolArn" in definition:
            found[name] = cognito(secret)
        elif "FunctionArn" in definition and invoke is not None:
            found[name] = lambda_request(template, definition, invoke, stage, clock)
        else:
            raise NotImplementedError(f"authorizer {name} cannot run locally")
    return found
