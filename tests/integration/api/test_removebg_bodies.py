"""remove.bg's request bodies as Powertools reads them into the route's File/Form parameters:
multipart, urlencoded and JSON alike; a malformed or oversized body is remove.bg's 400, never a 500,
and nothing refused is charged."""

import base64
import json

import pytest
from removebg_events import removebg_event, removebg_raw_event
from test_upload import png

from bgr_core.api import openapi
from bgr_core.money import credits
from bgr_core.platform.models import Job
from bgr_local.functions import bind_to_lambda, local_functions
from harness import TEMPLATE
from money import fund

BOUNDARY = "rbgboundary"


def form(*parts: tuple[str, str | None, bytes]) -> bytes:
    body = b""
    for name, filename, value in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def error(answer) -> tuple[int, str, str]:
    first = answer.body["errors"][0]
    return answer.status, first["code"], first["detail"]


def test_a_multipart_file_and_its_fields_arrive_and_are_charged_once(api):
    fund("user-1", 10)
    functions = local_functions(TEMPLATE)

    def invoke(logical: str, payload: bytes) -> bytes:
        return json.dumps(functions[logical].invoke(json.loads(payload))).encode()

    body = form(("image_file", "cat.png", png((64, 64))), ("size", None, b"preview"), ("crop", None, b"true"))
    with bind_to_lambda(TEMPLATE, invoke):
        answer = api.send(removebg_raw_event(api, "user-1", body, MULTIPART))
    assert answer.status == 200, answer.raw["body"]
    assert answer.headers["x-credits-charged"] == "1"
    assert base64.b64decode(answer.body["data"]["result_b64"]).startswith(b"\x89PNG")
    assert credits.balance("user-1") == 9


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (
            form(("image_file", "x.png", png()), ("size", None, b"xl")),
            MULTIPART,
            ("invalid_parameter", "size"),
        ),
        (
            b"image_url=https%3A%2F%2Fexample.com%2Fa.png&size=xl",
            "application/x-www-form-urlencoded",
            ("invalid_parameter", "size"),
        ),
        (
            json.dumps({"image_file_b64": "aGk=", "crop": "maybe"}).encode(),
            "application/json",
            ("invalid_parameter", "crop"),
        ),
        (b"{not json", "application/json", ("invalid_json", "")),
        (b"[1, 2]", "application/json", ("invalid_json", "object")),
        (b"image_url=x", "text/plain", ("invalid_parameter", "multipart/form-data")),
        (form(("size", None, b"preview")), MULTIPART, ("missing_source", "")),
        (form(("image_file", "x.png", png())), "multipart/form-data", ("invalid_parameter", "multipart")),
        (
            form(("image_file", "x.png", png()), ("size", None, b"\xff\xfe")),
            MULTIPART,
            ("invalid_parameter", "multipart"),
        ),
        (form(("image_file", None, png())), MULTIPART, ("invalid_parameter", "filename")),
        (b"x" * (7 * 1024 * 1024), MULTIPART, ("file_too_large", "5 MB")),
        (b"x" * (7 * 1024 * 1024), "multipart/form-data", ("file_too_large", "5 MB")),
    ],
    ids=[
        "multipart-field",
        "urlencoded-field",
        "json-field",
        "bad-json",
        "json-array",
        "text-plain",
        "no-image",
        "no-boundary",
        "not-utf8",
        "no-filename",
        "too-large",
        "too-large-no-boundary",
    ],
)
def test_what_the_body_gets_wrong_is_remove_bg_s_400_and_charges_nothing(api, body, content_type, expected):
    fund("user-1", 10)
    status, code, detail = error(api.send(removebg_raw_event(api, "user-1", body, content_type)))
    assert (status, code) == (400, expected[0]) and expected[1] in detail
    assert credits.balance("user-1") == 10 and not list(Job.scan())


def test_json_values_may_be_json_booleans_and_numbers(api):
    fund("user-1", 10)
    body = {"image_file_b64": base64.b64encode(b"not an image").decode(), "crop": True, "shadow_opacity": 40}
    assert error(api.send(removebg_event(api, "user-1", body)))[:2] == (400, "invalid_image")


def test_the_documented_body_is_the_route_s_parameters_as_multipart():
    document = json.loads(openapi.document())
    body = document["paths"]["/v1.0/removebg"]["post"]["requestBody"]["content"]
    ref = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = document["components"]["schemas"][ref]["properties"]
    assert fields["image_file"]["anyOf"][0] == {"type": "string", "format": "binary"}
    assert {"image_file_b64", "image_url", "size", "bg_color", "shadow_type", "tier"} <= set(fields)
