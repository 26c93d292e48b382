"""The local API authorizes as template.yaml declares: the X-Api-Key Lambda authorizer's policy
decides, its context reaches the function; its refusals are the template's gateway responses."""

import json

from bgr_local.authorizers import Authorizers
from bgr_local.proxy import HttpRequest, HttpResponse
from bgr_local.routes import resolve, routes
from harness import TEMPLATE

ROUTES = routes(TEMPLATE)


def local_error(status, code, message):
    return HttpResponse(status, [], json.dumps({"error": {"code": code, "message": message}}).encode())


def authorizers(answer):
    calls = []

    def invoke(function, event):
        calls.append((function, event))
        if isinstance(answer, Exception):
            raise answer
        return answer

    return Authorizers(TEMPLATE, invoke, b"s", "dev", local_error), calls


def policy(effect, resource="arn:aws:execute-api:*", context=None):
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
    answer = {"principalId": "alice", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
    return {**answer, "context": context} if context else answer


def decide(answer, headers=(("X-Api-Key", "bgr_k"),)):
    auth, calls = authorizers(answer)
    request = HttpRequest("POST", "/v1.0/removebg", list(headers), b"")
    match = resolve(ROUTES, "POST", "/v1.0/removebg")
    return auth.decide(match.route.authorizer, request, match), calls


def test_the_compatible_routes_use_the_api_key_authorizer_and_the_rest_cognito():
    by_key = {(r.method, r.resource): r.authorizer for r in ROUTES}
    assert by_key["POST", "/v1.0/removebg"] == by_key["GET", "/v1.0/account"] == "ApiKeyAuthorizer"
    assert by_key["POST", "/api/keys"] == "CognitoAuthorizer"
    assert by_key["GET", "/health"] is None


def test_an_allow_passes_the_context_and_principal_to_the_function():
    decision, calls = decide(policy("Allow", context={"userId": "alice", "keyId": "k1"}))
    assert decision.refusal is None
    assert decision.context == {"userId": "alice", "keyId": "k1", "principalId": "alice"}
    function, event = calls[0]
    assert function == "ApiKeyAuthorizerFunction" and event["type"] == "REQUEST"
    assert event["headers"]["X-Api-Key"] == "bgr_k"
    assert event["methodArn"].endswith("/dev/POST/v1.0/removebg")


def test_a_deny_is_the_template_s_access_denied_response():
    decision, _ = decide(policy("Deny"))
    assert decision.refusal.status == 403
    assert json.loads(decision.refusal.body)["errors"][0]["code"] == "auth_failed"


def test_an_allow_for_another_resource_is_a_deny():
    decision, _ = decide(policy("Allow", resource="arn:aws:execute-api:*:*:*/dev/GET/other"))
    assert decision.refusal.status == 403


def test_without_the_identity_header_the_authorizer_never_runs():
    decision, calls = decide(policy("Allow"), headers=())
    assert decision.refusal.status == 401 and calls == []


def test_an_authorizer_that_raises_unauthorized_is_a_401_and_one_that_fails_a_500():
    assert decide(Exception("Unauthorized"))[0].refusal.status == 401
    assert decide(RuntimeError("boom"))[0].refusal.status == 500
