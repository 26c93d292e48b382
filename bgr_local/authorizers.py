"""The API's authorizers as template.yaml declares them, run locally before any function.

`Auth.Authorizers` of the `AWS::Serverless::Api`: a Cognito user pool authorizer checks a locally
signed bearer token (bgr_local.tokens) and passes its claims; a Lambda REQUEST authorizer runs the
template's authorizer function (the real handler) with the event API Gateway sends it and applies
the policy it returns: Allow passes its context (and principalId) to the function, Deny answers
403, a request without the authorizer's identity headers answers 401 without running it. The
bodies of those answers are the template's `GatewayResponses` where it declares them.
"""

import fnmatch
import json
from collections.abc import Callable
from dataclasses import dataclass

from . import tokens
from .proxy import HttpRequest, HttpResponse
from .routes import Match
from .template import ACCOUNT, Template

Invoke = Callable[[str, dict], dict]

_DEFAULT_BODIES = {
    "UNAUTHORIZED": (401, {"message": "Unauthorized"}),
    "ACCESS_DENIED": (403, {"message": "User is not authorized to access this resource"}),
    "AUTHORIZER_FAILURE": (500, {"message": None}),
}


@dataclass(frozen=True)
class Decision:
    """Either the requestContext.authorizer to pass on, or the gateway's own answer."""

    context: dict | None = None
    refusal: HttpResponse | None = None


class Authorizers:
    def __init__(self, template: Template, invoke: Invoke, secret: bytes, stage: str, error_body):
        api = next(iter(template.of_type("AWS::Serverless::Api").values()))["Properties"]
        self._declared = (api.get("Auth") or {}).get("Authorizers") or {}
        self._responses = api.get("GatewayResponses") or {}
        self._template = template
        self._invoke = invoke
        self._secret = secret
        self._stage = stage
        self._error_body = error_body  # the local default body for UNAUTHORIZED (code, message)

    def decide(self, name: str, request: HttpRequest, match: Match) -> Decision:
        spec = self._declared[name]
        if "UserPoolArn" in spec:
            return self._cognito(request)
        return self._lambda(spec, request, match)

    def _cognito(self, request: HttpRequest) -> Decision:
        token = (request.header("Authorization") or "").removeprefix("Bearer ").strip()
        try:
            claims = tokens.authorizer_claims(tokens.verify(token, secret=self._secret))
        except tokens.InvalidToken as err:
            return Decision(refusal=self._unauthorized(f"a valid bearer token is required ({err})"))
        return Decision(context={"claims": claims})

    def _lambda(self, spec: dict, request: HttpRequest, match: Match) -> Decision:
        identity = spec.get("Identity") or {}
        missing = [h for h in identity.get("Headers", []) if not request.header(h)]
        if missing:
            return Decision(refusal=self._unauthorized(f"the {', '.join(missing)} header is required"))
        function = _logical_of(spec["FunctionArn"])
        method_arn = (
            f"arn:aws:execute-api:{self._template.region}:{ACCOUNT}:local/{self._stage}/"
            f"{request.method}{match.route.resource}"
        )
        event = {
            "type": "REQUEST",
            "methodArn": method_arn,
            "resource": match.route.resource,
            "path": request.path,
            "httpMethod": request.method,
            "headers": dict(request.headers),
            "pathParameters": match.path_params or None,
            "requestContext": {"stage": self._stage, "httpMethod": request.method},
        }
        try:
            answer = self._invoke(function, event)
        except Exception as err:
            if str(err) == "Unauthorized":  # how an authorizer asks for a 401
                return Decision(refusal=self._unauthorized("unauthorized"))
            return Decision(refusal=self._gateway("AUTHORIZER_FAILURE"))
        if not _allows(answer.get("policyDocument") or {}, method_arn):
            return Decision(refusal=self._gateway("ACCESS_DENIED"))
        context = {k: v for k, v in (answer.get("context") or {}).items()}
        return Decision(context={**context, "principalId": answer.get("principalId")})

    def _unauthorized(self, message: str) -> HttpResponse:
        if "UNAUTHORIZED" in self._responses:
            return self._gateway("UNAUTHORIZED")
        return self._error_body(401, "UNAUTHORIZED", message)

    def _gateway(self, kind: str) -> HttpResponse:
        status, body = _DEFAULT_BODIES[kind]
        declared = self._responses.get(kind)
        if declared:
            status = int(declared.get("StatusCode", status))
            template = (declared.get("ResponseTemplates") or {}).get("application/json")
            if template:
                body = json.loads(template)
        return HttpResponse(status, [("Content-Type", "application/json")], json.dumps(body).encode())


def _logical_of(arn) -> str:
    """`!GetAtt Fn.Arn` as the decoded template holds it."""
    target = arn["Fn::GetAtt"]
    return target[0] if isinstance(target, list) else target.split(".", 1)[0]


def _allows(policy: dict, method_arn: str) -> bool:
    """IAM evaluation, as far as an authorizer policy needs it: an explicit Deny wins."""
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
