"""The local API authorizes as template.yaml declares: the X-Api-Key Lambda authorizer's policy
decides and its context reaches the function; its refusals are the template's gateway responses."""

import json

import pytest

from bgr_local.authorizers import Refused, authorizers
from bgr_local.gateway import GatewayResponses
from bgr_local.proxy import HttpRequest
from bgr_local.routes import routes
from harness import TEMPLATE


def policy(effect, resource="arn:aws:execute-api:*", context=None):
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
    answer = {"principalId": "alice", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
    return {**answer, "context": context} if context else answer


def authorize(answer, headers=(("X-Api-Key", "bgr_k"),)):
    calls = []

    def invoke(function, event):
        calls.append((function, event))
        if isinstance(answer, Exception):
            raise answer
        return answer

    authorizer = authorizers(TEMPLATE, b"s", invoke)["ApiKeyAuthorizer"]
    return authorizer(HttpRequest("POST", "/v1.0/removebg", list(headers), b"")), calls


def refusal(answer, headers=(("X-Api-Key", "bgr_k"),)) -> str:
    with pytest.raises(Refused) as refused:
        authorize(answer, headers)
    return refused.value.response_type


def test_the_compatible_routes_use_the_api_key_authorizer_and_the_rest_cognito():
    by_key = {(r.method, r.resource): r.authorizer for r in routes(TEMPLATE)}
    assert by_key["POST", "/v1.0/removebg"] == by_key["GET", "/v1.0/account"] == "ApiKeyAuthorizer"
    assert by_key["POST", "/api/keys"] == by_key["DELETE", "/api/keys/{keyId}"] == "CognitoAuthorizer"


def test_an_allow_passes_the_context_and_principal_to_the_function():
    context, calls = authorize(policy("Allow", context={"userId": "alice", "keyId": "k1"}))
    assert context == {"userId": "alice", "keyId": "k1", "principalId": "alice"}
    function, event = calls[0]
    assert function == "ApiKeyAuthorizerFunction" and event["type"] == "REQUEST"
    assert event["headers"]["X-Api-Key"] == "bgr_k"
    assert event["methodArn"].endswith("/dev/POST/v1.0/removebg")


def test_a_deny_or_an_allow_elsewhere_is_access_denied_in_remove_bg_s_shape():
    assert refusal(policy("Deny")) == "ACCESS_DENIED"
    assert refusal(policy("Allow", resource="arn:aws:execute-api:*:*:*/dev/GET/other")) == "ACCESS_DENIED"
    answer = GatewayResponses(TEMPLATE).respond("ACCESS_DENIED", "explicit deny")
    assert answer.status == 403
    assert json.loads(answer.body)["errors"][0] == {
        "title": "Invalid API key",
        "code": "auth_failed",
        "detail": "explicit deny",
    }


def test_without_the_identity_header_the_authorizer_never_runs():
    with pytest.raises(Refused) as refused:
        authorize(policy("Allow"), headers=())
    assert refused.value.response_type == "UNAUTHORIZED"


def test_an_authorizer_that_raises_unauthorized_is_a_401_and_one_that_fails_a_500():
    assert refusal(Exception("Unauthorized")) == "UNAUTHORIZED"
    assert refusal(RuntimeError("boom")) == "AUTHORIZER_FAILURE"
