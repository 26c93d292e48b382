"""Calling the API functions as API Gateway would: the sample events of events/api/ (the ones
`sam local invoke` uses), patched only where a test varies them, sent to the function that
template.yaml routes the path to."""

import base64
import copy
import importlib
import json
from dataclasses import dataclass

import pytest

from bgr_local import stripe_shapes
from bgr_local.context import LambdaContext
from harness import ROOT, TEMPLATE

EVENTS = ROOT / "events" / "api"


def api_routes() -> dict[tuple[str, str], str]:
    """(METHOD, path) -> the function template.yaml sends it to."""
    routes = {}
    for name, fn in TEMPLATE.of_type("AWS::Serverless::Function").items():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] == "Api":
                routes[event["Properties"]["Method"].upper(), event["Properties"]["Path"]] = name
    return routes


@dataclass
class Reply:
    status: int
    headers: dict
    raw: dict

    @property
    def body(self):
        return json.loads(self.raw["body"])

    @property
    def error(self) -> str:
        return self.body["error"]["code"]


class Api:
    routes = api_routes()

    def event(
        self, name: str, *, user="keep", groups=None, body="keep", query="keep", path=None, headers=None
    ):
        event = json.loads((EVENTS / f"{name}.json").read_text())
        if user != "keep":
            claims = {"sub": user, "email": f"{user}@example.com"} if user else None
            if claims and groups is not None:
                claims["cognito:groups"] = groups
            event["requestContext"]["authorizer"] = {"claims": claims} if claims else None
        elif groups is not None:
            event["requestContext"]["authorizer"]["claims"]["cognito:groups"] = groups
        if body != "keep":
            event["body"] = body if body is None or isinstance(body, str) else json.dumps(body)
            event["isBase64Encoded"] = False
        if query != "keep":
            event["queryStringParameters"] = query
            event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
        if path:
            event["pathParameters"] = {**event["pathParameters"], **path}
            event["path"] = event["resource"]
            for key, value in event["pathParameters"].items():
                event["path"] = event["path"].replace("{" + key + "}", value)
        for key, value in (headers or {}).items():
            event["headers"][key] = value
            event["multiValueHeaders"][key] = [value]
        return event

    def send(self, event: dict) -> Reply:
        function = self.routes[event["httpMethod"], event["resource"]]
        code_uri = TEMPLATE.resources[function]["Properties"]["CodeUri"].strip("/").replace("/", ".")
        module = importlib.import_module(f"{code_uri}.app")
        raw = module.handler(copy.deepcopy(event), LambdaContext(function, timeout_s=29))
        headers = {k.lower(): v for k, v in (raw.get("headers") or {}).items()}
        for key, values in (raw.get("multiValueHeaders") or {}).items():
            headers[key.lower()] = values[-1]
        return Reply(raw["statusCode"], headers, raw)

    def __call__(self, name: str, **patch) -> Reply:
        return self.send(self.event(name, **patch))


@pytest.fixture
def api(aws, monkeypatch):
    from bgr_core.api import health

    monkeypatch.setattr(health, "_last", None)  # a fresh instance: no status checked yet
    return Api()


@pytest.fixture
def policy_conditions():
    """The conditions of a presigned POST's policy (base64 JSON in its `policy` field)."""
    return lambda fields: json.loads(base64.b64decode(fields["policy"]))["conditions"]


@dataclass
class Stripe:
    """Payments configured as in AWS (the secrets in SSM SecureString parameters, named by the
    environment), Stripe's API answered by a stub: `requests` is what the adapter sent."""

    stub: type
    secret_key: str = "sk_test_" + "k" * 24
    webhook_secret: str = "whsec_" + "w" * 32

    @property
    def requests(self) -> list[dict]:
        return self.stub.requests

    def event(self, event_type: str, data_object: dict, **kwargs) -> dict:
        return stripe_shapes.event(event_type, data_object, **kwargs)

    def deliver(self, api, event: dict | bytes, *, secret: str | None = None, timestamp=None, signature=None):
        """POSTs `event` to the webhook, signed as Stripe signs (with `secret`, at `timestamp`)."""
        payload = event if isinstance(event, bytes) else json.dumps(event).encode()
        if signature is None:
            signature = stripe_shapes.signature(payload, secret or self.webhook_secret, timestamp)
        headers = {"Stripe-Signature": signature} if signature else {}
        return api("stripe-webhook", body=payload.decode(), headers=headers)


@pytest.fixture
def stripe(aws, settings_env):
    from aws_lambda_powertools.utilities import parameters
    from stripe_stub import stub_class

    from bgr_core.money import payment_provider
    from bgr_core.platform.aws_clients import client
    from http_stub import base_url, http_server

    handler = stub_class()
    configured = Stripe(handler)
    for name, value in (
        ("/test/stripe/key", configured.secret_key),
        ("/test/stripe/whsec", configured.webhook_secret),
    ):
        client("ssm").put_parameter(Name=name, Value=value, Type="SecureString")
    with http_server(handler) as server:
        settings_env(
            STRIPE_SECRET_KEY_PARAMETER="/test/stripe/key",
            STRIPE_WEBHOOK_SECRET_PARAMETER="/test/stripe/whsec",
            STRIPE_API_BASE=base_url(server),
            CHECKOUT_RETURN_URL="https://app.example.com/#/account",
        )
        parameters.clear_caches()
        payment_provider._stripe.cache_clear()
        yield configured
        parameters.clear_caches()
        payment_provider._stripe.cache_clear()
