"""Statuses a short fuzz run never reaches, reached on purpose: the in-flight cap on every charging
route (429 TOO_MANY_IN_FLIGHT with Retry-After, nothing charged) and the API-key limit (409), each
checked against the route's operation in the OpenAPI document (every status a route can return
is documented)."""

import base64
import json

import pytest
from removebg_events import removebg_event
from test_upload import png

from bgr_core.api import openapi
from bgr_core.integrations import api_keys
from bgr_core.money import credits
from bgr_core.platform.models import Job
from money import fund

DOCUMENT = json.loads(openapi.document())
CAP = 3  # the sample batch (3 images) fits the cap itself: refused for what is in flight


def documented(method: str, path: str) -> set[int]:
    return {int(status) for status in DOCUMENT["paths"][path][method.lower()]["responses"]}


def removebg(api, user: str):
    return api.send(
        removebg_event(api, user, {"image_file_b64": base64.b64encode(png()).decode(), "size": "preview"})
    )


CHARGING = {
    ("POST", "/api/background-remover/remove"): lambda api: api("remove-json"),
    ("POST", "/api/background-remover/batch"): lambda api: api("batch-create"),
    ("POST", "/v1.0/removebg"): lambda api: removebg(api, "user-1"),
}


@pytest.fixture
def capped(api, settings_env):
    settings_env(MAX_IMAGES_IN_FLIGHT=str(CAP))
    fund("user-1", 1000)
    for _ in range(CAP):
        assert api("remove-json").status == 201
    return api


@pytest.mark.parametrize("route", CHARGING, ids=" ".join)
def test_a_charging_route_at_the_cap_is_429_with_retry_after_and_charges_nothing(capped, route):
    before, jobs_before = credits.balance("user-1"), len(list(Job.scan()))
    reply = CHARGING[route](capped)
    assert reply.status == 429, reply.raw
    assert int(reply.headers["retry-after"]) > 0
    if route[1].startswith("/v1.0"):  # remove.bg's shape and code, which its clients retry on
        assert reply.body["errors"][0]["code"] == "rate_limit_exceeded"
    else:
        assert reply.error == "TOO_MANY_IN_FLIGHT"
    assert credits.balance("user-1") == before and len(list(Job.scan())) == jobs_before
    assert 429 in documented(*route)


def test_the_key_limit_is_a_documented_409(api):
    for index in range(api_keys.MAX_ACTIVE_KEYS):
        api_keys.create("user-1", f"k{index}")
    reply = api.send(keys_event(api, "POST", {"name": "one more"}))
    assert reply.status == 409 and reply.error == "CONFLICT"
    assert 409 in documented("POST", "/api/keys")


def keys_event(api, method: str, body: dict | None = None) -> dict:
    event = api.event("balance")
    event.update(httpMethod=method, resource="/api/keys", path="/api/keys", isBase64Encoded=False)
    event["body"] = json.dumps(body) if body is not None else None
    event["headers"] = {"Content-Type": "application/json"}
    event["multiValueHeaders"] = {"Content-Type": ["application/json"]}
    return event


def test_a_key_may_be_made_to_expire_in_days_and_the_list_shows_when(api):
    made = api.send(keys_event(api, "POST", {"name": "ci", "expiresIn": 30}))
    assert made.status == 201 and made.body["apiKey"]["expiresAt"]
    assert api.send(keys_event(api, "POST", {"name": "forever"})).body["apiKey"]["expiresAt"] is None
    assert api.send(keys_event(api, "POST", {"name": "x", "expiresIn": 0})).status == 422
    listed = {k["name"]: k["expiresAt"] for k in api.send(keys_event(api, "GET")).body["apiKeys"]}
    assert listed == {"ci": made.body["apiKey"]["expiresAt"], "forever": None}
