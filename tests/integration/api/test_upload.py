import base64
import io
import json
from datetime import UTC, datetime, timedelta

import boto3
import numpy as np
import pytest
from PIL import Image

from bgr_core.money import credits
from bgr_core.platform import storage
from bgr_core.platform.models import Job
from bgr_local.functions import bind_to_lambda, local_functions
from harness import TEMPLATE
from money import fund

BUCKET = TEMPLATE.name("ImagesBucket")


def keys(prefix="uploads/"):
    listing = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for o in listing.get("Contents", [])]


def test_json_upload_charges_and_returns_a_presigned_post(api, policy_conditions):
    fund("user-1", 20)
    reply = api("remove-json")
    assert reply.status == 201 and reply.headers["x-credits-charged"] == "8"
    job, upload = reply.body["job"], reply.body["upload"]
    assert job["status"] == "pending" and job["tier"] == "standard" and job["pricingType"] == "credit"
    assert job["creditsUsed"] == 8 and job["resultUrl"] is None
    conditions = policy_conditions(upload["fields"])
    assert ["content-length-range", 1, 482133] in conditions  # the declared sizeBytes, no more
    assert ["starts-with", "$Content-Type", "image/"] in conditions
    assert {"key": Job.get(job["id"]).original_key} in conditions
    assert credits.balance("user-1") == 12
    assert reply.headers["x-ratelimit-limit"] == "30"  # the charging scope's, the stricter


def test_declared_uploads_that_cannot_process_are_refused_before_charging(api):
    fund("user-1", 20)
    too_big = 10 * 1024 * 1024 + 1
    body = {"tier": "basic", "filename": "a.jpg", "contentType": "image/jpeg", "sizeBytes": too_big}
    refused = api("remove-json", body=body)
    assert (
        refused.status == 413 and refused.body["error"]["message"] == "images are at most 10 MB, not 10.1 MB"
    )
    assert api("remove-json", body={**body, "sizeBytes": 10, "contentType": "text/plain"}).status == 415
    assert credits.balance("user-1") == 20 and not list(Job.scan())


def test_multipart_png_is_stored_after_the_charge(api):
    fund("user-1", 5)
    reply = api("remove-multipart")
    assert reply.status == 202, reply.raw["body"]
    assert reply.headers["x-credits-charged"] == "3"
    job = Job.get(reply.body["job"]["id"])
    assert keys() == [job.original_key] and job.original_key.endswith("/product.png")
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=job.original_key)
    assert stored["ContentType"] == "image/png"
    assert Image.open(io.BytesIO(stored["Body"].read())).size == (8, 8)
    assert credits.balance("user-1") == 2


def png(size=(8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, "PNG")
    return out.getvalue()


def multipart(
    api,
    content: bytes,
    filename="notes.png",
    tier="basic",
    *,
    fields=None,
    query=None,
    headers=None,
    content_type="image/png",
):
    """POST /remove with a multipart form: `tier`, any other text `fields`, and the `image` file."""
    boundary = "xyzBOUNDARY"
    text = {"tier": tier, **(fields or {})}
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in text.items()
    ).encode()
    body += (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    form = f"multipart/form-data; boundary={boundary}"
    event = api.event(
        "remove-multipart", headers={"Content-Type": form, **(headers or {})}, query=query or None
    )
    event["body"] = base64.b64encode(body).decode()
    return api.send(event)


def test_multipart_text_file_is_415_and_nothing_happens(api):
    fund("user-1", 5)
    reply = multipart(api, b"just some text pretending to be a PNG")
    assert reply.status == 415 and reply.error == "UNSUPPORTED_MEDIA_TYPE"
    assert credits.balance("user-1") == 5 and keys() == [] and not list(Job.scan())


def test_multipart_over_5_mb_is_413(api):
    fund("user-1", 5)
    reply = multipart(api, b"\x89PNG\r\n\x1a\n" + bytes(5 * 1024 * 1024))
    assert reply.status == 413 and reply.error == "TOO_LARGE"
    assert reply.body["error"]["message"] == "in-request images are at most 5 MB; use a presigned upload"
    assert credits.balance("user-1") == 5 and keys() == []


def test_a_user_without_an_account_gets_402_and_nothing_is_written(api):
    reply = api("remove-json", user="brand-new")
    assert reply.status == 402 and reply.error == "INSUFFICIENT_CREDITS"
    assert api("remove-multipart", user="brand-new").status == 402
    assert not list(Job.scan()) and keys() == []


def test_output_options_as_plain_form_fields(api):
    fund("user-1", 10)
    fields = {"format": "webp", "bgColor": "#00ff00", "crop": "true", "cropMargin": "12", "channels": "rgba"}
    reply = multipart(api, png(), fields=fields)
    assert reply.status == 202, reply.raw["body"]
    options = reply.body["job"]["options"]
    assert options == {
        "format": "webp",
        "channels": "rgba",
        "bgColor": "#00ff00",
        "crop": True,
        "margin": 12,
        "marginUnit": "px",
        "maxPixels": None,
        "bgImageUrl": None,
        "roi": None,
        "scale": None,
        "position": None,
        "shadowType": "none",
        "shadowOpacity": 50,
    }
    placed = multipart(
        api,
        png(),
        fields={"options": '{"format": "zip", "scale": 50, "position": "0% 0%", "shadowType": "drop"}'},
    )
    assert placed.status == 202, placed.raw["body"]
    assert placed.body["job"]["options"]["scale"] == 50 and placed.body["job"]["options"]["format"] == "zip"
    refused = multipart(api, png(), fields={"options": '{"shadowType": "3D"}'})
    assert refused.status == 422 and credits.balance("user-1") == 10 - 2 * 3
    as_json = multipart(
        api, png(), fields={"options": '{"format": "webp", "crop": true}', "channels": "alpha"}
    )
    assert as_json.status == 202
    assert as_json.body["job"]["options"]["channels"] == "alpha" and as_json.body["job"]["options"]["crop"]


def test_unknown_or_doubled_form_fields_are_400_naming_them_and_nothing_is_charged(api):
    fund("user-1", 10)
    reply = multipart(api, png(), fields={"size": "full", "bg_colour": "red"})
    assert reply.status == 400 and reply.error == "BAD_REQUEST"
    assert "bg_colour, size" in reply.body["error"]["message"]
    doubled = multipart(api, png(), fields={"format": "png", "options": '{"format": "webp"}'})
    assert doubled.status == 400 and "`format`" in doubled.body["error"]["message"]
    assert credits.balance("user-1") == 10 and keys() == [] and not list(Job.scan())


def test_invalid_form_options_are_422_naming_the_field_the_rule_and_the_limit(api):
    fund("user-1", 10)
    reply = multipart(api, png(), fields={"cropMargin": "900"})
    assert reply.status == 422 and reply.error == "VALIDATION_ERROR"
    assert reply.body["error"]["message"] == "form.cropMargin: Input should be less than or equal to 500"
    assert reply.body["error"]["details"] == [
        {"loc": ["form", "cropMargin"], "type": "less_than_equal", "limits": {"le": 500}}
    ]
    colour = multipart(api, png(), fields={"bgColor": "red"})
    assert colour.status == 422 and colour.body["error"]["message"].startswith(
        "form.bgColor: String should match"
    )
    assert credits.balance("user-1") == 10


def test_wait_is_1_to_25_seconds(api):
    fund("user-1", 10)
    for wait in ("0", "26", "soon"):
        reply = multipart(api, png(), query={"wait": wait})
        assert reply.status == 422 and reply.body["error"]["message"].startswith("query.wait: ")
    assert "less than or equal to 25" in multipart(api, png(), query={"wait": "26"}).body["error"]["message"]
    assert credits.balance("user-1") == 10


def test_a_wait_whose_direct_run_cannot_be_invoked_is_503_and_refunded(api):
    # ?wait runs the cutout by invoking the inference function; none is deployed in this test
    fund("user-1", 10)
    reply = multipart(api, png(), query={"wait": "1"}, headers={"Accept": "image/png"})
    assert reply.status == 503 and reply.error == "INFERENCE_FAILED"
    assert credits.balance("user-1") == 10


@pytest.mark.slow
def test_a_wait_cuts_the_image_out_during_the_request_and_answers_the_finished_job(api, photo_jpeg):
    """?wait: the job is created pending, then the light inference function, invoked directly
    (Lambda Invoke bound to its real handler in this process), runs the real model on it; the
    reply is the job completed within the wait, charged once."""
    fund("user-1", 10)
    functions, found_pending = local_functions(TEMPLATE), []

    def invoke(logical: str, payload: bytes) -> bytes:
        event = json.loads(payload)
        found_pending.append((logical, Job.get(event["jobId"]).status))  # as the function finds it
        return json.dumps(functions[logical].invoke(event)).encode()

    with bind_to_lambda(TEMPLATE, invoke):
        reply = multipart(api, photo_jpeg, "astronaut.jpg", query={"wait": "20"}, content_type="image/jpeg")
    assert found_pending == [("LightInferenceFunction", "pending")]
    assert reply.status == 200, reply.raw["body"]
    job = reply.body["job"]
    assert (job["status"], job["modelName"], job["creditsUsed"]) == ("completed", "u2netp", 3)
    assert job["resultUrl"] and job["completedAt"]
    stored = Job.get(job["id"])
    assert stored.status == "completed" and keys() == []  # run from the request, never queued
    cutout = Image.open(io.BytesIO(storage.get_bytes(stored.result_key)))
    alpha = np.asarray(cutout.getchannel("A"))
    assert cutout.mode == "RGBA" and cutout.size == (512, 512)
    assert (alpha == 0).mean() > 0.2 and (alpha == 255).mean() > 0.2  # background gone, subject kept
    assert credits.balance("user-1") == 7


def test_wait_applies_to_in_request_images_only(api):
    fund("user-1", 10)
    reply = api("remove-json", query={"wait": "1"})
    assert reply.status == 400 and "multipart" in reply.body["error"]["message"]
    assert credits.balance("user-1") == 10


def test_accept_chooses_the_format_and_a_contradicting_format_is_406(api):
    fund("user-1", 10)
    webp = multipart(api, png(), headers={"Accept": "image/webp, application/json;q=0.5"})
    assert webp.status == 202 and webp.body["job"]["options"]["format"] == "webp"
    refused = multipart(api, png(), fields={"format": "png"}, headers={"Accept": "image/webp"})
    assert refused.status == 406 and refused.error == "NOT_ACCEPTABLE"
    assert credits.balance("user-1") == 7


def test_invalid_json_and_invalid_fields(api):
    fund("user-1", 10)
    assert api("remove-json", body="{not json").status == 400
    body = {"tier": "ultra", "filename": "a.png", "contentType": "image/png", "sizeBytes": 1}
    reply = api("remove-json", body=body)
    assert reply.status == 422 and reply.error == "VALIDATION_ERROR"
    assert api("remove-json", headers={"Content-Type": "text/plain"}).status == 415
    assert credits.balance("user-1") == 10


def test_the_upload_form_expires_when_configured_and_says_when(api, settings_env):
    fund("user-1", 20)
    settings_env(UPLOAD_URL_TTL_SECONDS="60")
    reply = api("remove-json")
    job, upload = reply.body["job"], reply.body["upload"]
    expires = datetime.fromisoformat(upload["expiresAt"])
    assert expires == datetime.fromisoformat(job["uploadDeadline"])
    assert 55 <= (expires - datetime.now(UTC)).total_seconds() <= 60
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    assert abs(datetime.fromisoformat(policy["expiration"]) - expires) < timedelta(seconds=2)
