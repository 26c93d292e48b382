"""POST /remove and remove.bg's POST /v1.0/removebg start an in-request image through one domain
function (work.inline_removals.start); what either route refuses never reaches it, nor is charged."""

import base64
import json

import pytest
from removebg_events import removebg_event
from test_upload import multipart, png

from bgr_core.money import credits
from bgr_core.platform.models import Job
from bgr_core.work import inline_removals
from bgr_local.functions import bind_to_lambda, local_functions
from harness import TEMPLATE
from money import fund


@pytest.fixture
def started(monkeypatch):
    """Every call of inline_removals.start, which still runs as it does."""
    calls, real = [], inline_removals.start

    def spy(user_id, image, tier, options, **kwargs):
        removal = real(user_id, image, tier, options, **kwargs)
        calls.append((user_id, image.content_type, tier, kwargs["now"], removal.job.id))
        return removal

    monkeypatch.setattr(inline_removals, "start", spy)
    return calls


def test_both_routes_start_their_job_through_the_one_domain_function(api, started):
    fund("user-1", 20)
    queued = multipart(api, png(), tier="standard")
    assert queued.status == 202, queued.raw
    functions = local_functions(TEMPLATE)

    def invoke(logical: str, payload: bytes) -> bytes:
        return json.dumps(functions[logical].invoke(json.loads(payload))).encode()

    with bind_to_lambda(TEMPLATE, invoke):
        event = removebg_event(api, "user-1", {"image_file_b64": base64.b64encode(png((64, 64))).decode()})
        answered = api.send(event)
    assert answered.status == 200, answered.raw["body"]
    assert started == [
        ("user-1", "image/png", "standard", False, queued.body["job"]["id"]),
        ("user-1", "image/png", "basic", True, started[1][4]),
    ]
    assert Job.get(started[1][4]).status == "completed"
    assert answered.headers["x-credits-charged"] == "3"
    assert credits.balance("user-1") == 20 - 8 - 3


def test_what_either_route_refuses_never_reaches_it_and_charges_nothing(api, started):
    fund("user-1", 20)
    assert multipart(api, b"just text, not a PNG").status == 415
    assert multipart(api, png(), fields={"format": "tiff"}).status == 422
    not_an_image = base64.b64encode(b"just text").decode()
    refused = api.send(removebg_event(api, "user-1", {"image_file_b64": not_an_image}))
    assert refused.status == 400 and refused.body["errors"][0]["code"] == "invalid_image"
    bad_size = api.send(
        removebg_event(api, "user-1", {"image_file_b64": base64.b64encode(png()).decode(), "size": "xl"})
    )
    assert bad_size.status == 400 and bad_size.body["errors"][0]["code"] == "invalid_parameter"
    assert started == [] and not list(Job.scan())
    assert credits.balance("user-1") == 20
