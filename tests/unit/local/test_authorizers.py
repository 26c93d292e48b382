"""The local API authorizes as template.yaml declares: the X-Api-Key Lambda authorizer's policy
decides and its context reaches the function; its refusals are the template's gateway responses."""

import copy
import json

import pytest

from bgr_local import tokens
from bgr_local.authorizers import Refused, authorizers
from bgr_local.gateway import GatewayResponses
from bgr_local.proxy import HttpRequest
from bgr_local.routes import routes
from bgr_local.template import Template
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


def _with_ttl(ttl_s):
    """template.yaml with the X-Api-Key authorizer's ReauthorizeEvery set to `ttl_s`."""
    template = Template(stack_name=TEMPLATE.stack_name)
    body = copy.deepcopy(TEMPLATE.body)
    api = next(r for r in body["Resources"].values() if r["Type"] == "AWS::Serverless::Api")
    api["Properties"]["Auth"]["Authorizers"]["ApiKeyAuthorizer"]["Identity"]["ReauthorizeEvery"] = ttl_s
    template.__dict__["body"] = body
    return template


class KeyStore:
    """An authorizer that allows its keys (on the method it is asked about, as ours does)."""

    def __init__(self, *keys):
        self.keys, self.calls = set(keys), 0

    def invoke(self, function, event):
        self.calls += 1
        effect = "Allow" if event["headers"]["X-Api-Key"] in self.keys else "Deny"
        return policy(effect, resource=event["methodArn"], context={"userId": "alice"})


def request(key, method="POST", path="/v1.0/removebg"):
    return HttpRequest(method, path, [("X-Api-Key", key)], b"")


def test_template_s_authorizer_is_asked_on_every_request_so_a_revoked_key_stops_at_once():
    store = KeyStore("bgr_a")
    authorizer = authorizers(TEMPLATE, b"s", store.invoke, clock=lambda: 0.0)["ApiKeyAuthorizer"]
    assert authorizer(request("bgr_a"))["userId"] == "alice"
    store.keys.clear()  # revoked
    with pytest.raises(Refused):
        authorizer(request("bgr_a"))
    assert store.calls == 2


def test_with_a_ttl_answers_are_cached_by_identity_until_it_runs_out():
    store, now = KeyStore("bgr_a", "bgr_b"), [0.0]
    authorizer = authorizers(_with_ttl(60), b"s", store.invoke, clock=lambda: now[0])["ApiKeyAuthorizer"]
    authorizer(request("bgr_a"))
    authorizer(request("bgr_a"))
    assert store.calls == 1  # the second request was answered from the cache
    authorizer(request("bgr_b"))
    assert store.calls == 2  # another identity is asked for itself
    store.keys.clear()  # both revoked: the cached answers still stand until the TTL runs out
    now[0] = 59.9
    assert authorizer(request("bgr_a"))["userId"] == "alice" and store.calls == 2
    now[0] = 60.0
    with pytest.raises(Refused) as refused:
        authorizer(request("bgr_a"))
    assert refused.value.response_type == "ACCESS_DENIED" and store.calls == 3
    with pytest.raises(Refused):  # a cached deny is a deny
        authorizer(request("bgr_a"))
    assert store.calls == 3


def test_a_cached_policy_judges_each_request_s_own_method_as_api_gateway_does():
    """Our authorizer allows the method it was asked about: with a TTL, the cached policy of
    POST /v1.0/removebg denies GET /v1.0/account for the same key until it runs out."""
    store = KeyStore("bgr_a")
    authorizer = authorizers(_with_ttl(300), b"s", store.invoke, clock=lambda: 0.0)["ApiKeyAuthorizer"]
    authorizer(request("bgr_a"))
    with pytest.raises(Refused) as refused:
        authorizer(request("bgr_a", "GET", "/v1.0/account"))
    assert refused.value.response_type == "ACCESS_DENIED" and store.calls == 1


def test_an_expired_token_is_refused_saying_so_as_api_gateway_does():
    cognito = authorizers(TEMPLATE, b"s", lambda function, event: {})["CognitoAuthorizer"]
    expired = tokens.sign("alice", secret=b"s", ttl_s=-1)
    with pytest.raises(Refused) as refused:
        cognito(HttpRequest("GET", "/api/credits/balance", [("Authorization", f"Bearer {expired}")], b""))
    response = GatewayResponses(TEMPLATE).respond(refused.value.response_type, refused.value.message)
    assert response.status == 401
    assert json.loads(response.body)["error"] == {
        "code": "UNAUTHORIZED",
        "message": "The incoming token has expired",
    }
    with pytest.raises(Refused) as forged:
        cognito(HttpRequest("GET", "/", [("Authorization", f"Bearer {tokens.sign('a', secret=b'x')}")], b""))
    assert forged.value.message is None  # API Gateway's plain "Unauthorized"
