import base64
import io

import boto3
from PIL import Image

from bgr_core import credits
from bgr_core.models import Job
from harness import TEMPLATE

BUCKET = TEMPLATE.name("ImagesBucket")


def keys(prefix="uploads/"):
    listing = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for o in listing.get("Contents", [])]


def test_json_upload_charges_and_returns_a_presigned_post(api, funded, policy_conditions):
    funded(amount=20)
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


def test_declared_uploads_that_cannot_process_are_refused_before_charging(api, funded):
    funded(amount=20)
    too_big = 10 * 1024 * 1024 + 1
    body = {"tier": "basic", "filename": "a.jpg", "contentType": "image/jpeg", "sizeBytes": too_big}
    assert api("remove-json", body=body).status == 413
    assert api("remove-json", body={**body, "sizeBytes": 10, "contentType": "text/plain"}).status == 415
    assert credits.balance("user-1") == 20 and not list(Job.scan())


def test_multipart_png_is_stored_after_the_charge(api, funded):
    funded(amount=5)
    reply = api("remove-multipart")
    assert reply.status == 202, reply.raw["body"]
    assert reply.headers["x-credits-charged"] == "3"
    job = Job.get(reply.body["job"]["id"])
    assert keys() == [job.original_key] and job.original_key.endswith("/product.png")
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=job.original_key)
    assert stored["ContentType"] == "image/png"
    assert Image.open(io.BytesIO(stored["Body"].read())).size == (8, 8)
    assert credits.balance("user-1") == 2


def multipart(api, content: bytes, filename="notes.png", tier="basic"):
    boundary = "xyzBOUNDARY"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="tier"\r\n\r\n{tier}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{filename}"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    form = f"multipart/form-data; boundary={boundary}"
    event = api.event("remove-multipart", headers={"Content-Type": form})
    event["body"] = base64.b64encode(body).decode()
    return api.send(event)


def test_multipart_text_file_is_415_and_nothing_happens(api, funded):
    funded(amount=5)
    reply = multipart(api, b"just some text pretending to be a PNG")
    assert reply.status == 415 and reply.error == "UNSUPPORTED_MEDIA_TYPE"
    assert credits.balance("user-1") == 5 and keys() == [] and not list(Job.scan())


def test_multipart_over_5_mb_is_413(api, funded):
    funded(amount=5)
    reply = multipart(api, b"\x89PNG\r\n\x1a\n" + bytes(5 * 1024 * 1024))
    assert reply.status == 413 and reply.error == "TOO_LARGE"
    assert credits.balance("user-1") == 5 and keys() == []


def test_a_user_without_an_account_gets_402_and_nothing_is_written(api):
    reply = api("remove-json", user="brand-new")
    assert reply.status == 402 and reply.error == "INSUFFICIENT_CREDITS"
    assert api("remove-multipart", user="brand-new").status == 402
    assert not list(Job.scan()) and keys() == []


def test_wait_returns_the_job_still_pending_when_it_does_not_finish(api, funded):
    funded(amount=10)
    reply = api("remove-json", query={"wait": "1"})
    assert reply.status == 201 and reply.body["job"]["status"] == "pending"


def test_invalid_json_and_invalid_fields(api, funded):
    funded(amount=10)
    assert api("remove-json", body="{not json").status == 400
    body = {"tier": "ultra", "filename": "a.png", "contentType": "image/png", "sizeBytes": 1}
    reply = api("remove-json", body=body)
    assert reply.status == 422 and reply.error == "VALIDATION_ERROR"
    assert api("remove-json", headers={"Content-Type": "text/plain"}).status == 415
    assert credits.balance("user-1") == 10
