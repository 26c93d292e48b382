import json
from datetime import datetime

import boto3
from test_upload import multipart, png

from bgr_core.money import credits
from bgr_core.platform.models import Batch
from bgr_core.work import settlement
from harness import TEMPLATE
from money import fund


def test_batch_is_charged_up_front_with_one_upload_per_image(api, policy_conditions):
    fund("user-1", 30)
    reply = api("batch-create")
    assert reply.status == 201 and reply.headers["x-credits-charged"] == "24"
    batch, uploads = reply.body["batch"], reply.body["uploads"]
    assert batch["totalImages"] == 3 and batch["finalPrice"] == 24 and batch["progressPercentage"] == 0
    assert batch["zipUrl"] is None and batch["estimatedDuration"] > 0
    assert [u["itemIndex"] for u in uploads] == [0, 1, 2]
    assert ["content-length-range", 1, 350000] in policy_conditions(uploads[0]["fields"])  # as declared
    assert credits.balance("user-1") == 6

    path = {"batchId": batch["id"]}
    progress = api("batch", path=path).body["batch"]
    assert progress["id"] == batch["id"] and progress["estimatedDuration"] == batch["estimatedDuration"]
    items = api("batch-items", path=path).body["items"]
    assert [i["status"] for i in items] == ["pending"] * 3 and sum(i["creditsUsed"] for i in items) == 24
    assert [b["id"] for b in api("batches").body["batches"]] == [batch["id"]]
    assert api("stats").body["stats"]["totalBatches"] == 1
    assert api("batch", path=path, user="someone-else").status == 404


def test_batch_refusals_write_nothing(api):
    image = {"filename": "a.jpg", "contentType": "image/jpeg", "sizeBytes": 100}
    assert api("batch-create", body={"tier": "basic", "images": [image]}).status == 402
    fund("user-1", 100)
    too_big = {**image, "sizeBytes": 10 * 1024 * 1024 + 1}
    assert api("batch-create", body={"tier": "basic", "images": [image, too_big]}).status == 413
    text = {**image, "contentType": "text/plain"}
    assert api("batch-create", body={"tier": "basic", "images": [text]}).status == 415
    assert api("batch-create", body={"tier": "basic", "images": []}).status == 422
    assert credits.balance("user-1") == 100 and not list(Batch.scan())


def test_a_disabled_batch_feature_answers_503_and_writes_nothing(api, settings_env):
    fund("user-1", 100)
    settings_env(FEATURE_BATCH="false")
    reply = api("batch-create")
    assert reply.status == 503 and reply.error == "FEATURE_DISABLED"
    assert api("batches").status == 503
    assert credits.balance("user-1") == 100 and not list(Batch.scan())


def test_integration_batch_from_the_apps_stored_images(api):
    fund("user-1", 10)
    s3, bucket = boto3.client("s3"), TEMPLATE.name("ImagesBucket")
    for name in ("a.png", "b.jpg"):
        s3.put_object(Bucket=bucket, Key=f"apps/avatar-creator/user-1/{name}", Body=b"\x89PNG\r\n\x1a\n....")
    reply = api("batch-integration")
    assert reply.status == 201 and reply.headers["x-credits-charged"] == "6"
    assert reply.body["batch"]["source"] == "avatar-creator" and reply.body["batch"]["totalImages"] == 2
    assert api("batch-integration", path={"app": "photo-booth"}).status == 404
    assert credits.balance("user-1") == 4


def test_batch_forms_say_when_they_expire_and_cancel_refunds_the_unstarted(api):
    fund("user-1", 30)
    created = api("batch-create").body
    batch_id, deadline = created["batch"]["id"], created["batch"]["uploadDeadline"]
    assert deadline and {u["expiresAt"] for u in created["uploads"]} == {
        datetime.fromisoformat(deadline).isoformat()
    }
    assert settlement.start_item(batch_id, 0)  # a worker has item 0
    path = {"batchId": batch_id}
    assert api("batch-cancel", path=path, user="someone-else").status == 404
    assert api("batch-cancel", path={"batchId": "missing"}).status == 404
    reply = api("batch-cancel", path=path)
    assert reply.status == 200
    batch = reply.body["batch"]
    # refunded when the batch settles (item 0 still runs): re-priced by the images that arrived
    assert (batch["status"], batch["failedImages"], batch["creditsRefunded"]) == ("processing", 2, 0)
    assert batch["cancelledAt"] and credits.balance("user-1") == 6
    again = api("batch-cancel", path=path).body["batch"]
    assert again == {**batch, "estimatedDuration": again["estimatedDuration"]}
    items = api("batch-items", path=path).body["items"]
    assert [(i["status"], i["errorCode"]) for i in items] == [
        ("processing", None),
        ("failed", "CANCELLED"),
        ("failed", "CANCELLED"),
    ]


REMOVEBG_OPTIONS = {
    "format": "zip",
    "bgImageUrl": "http://127.0.0.1:8080/backdrop.png",
    "shadowType": "drop",
    "shadowOpacity": 40,
    "roi": "10% 10% 90% 90%",
    "scale": 50,
    "position": "0% 0%",
}


def test_remove_bg_s_options_are_output_options_of_post_remove_and_of_a_batch(api, settings_env):
    """Accepted and kept on the job and the batch, which the worker renders them from (their
    meaning: tests/unit/inference/test_remove_bg_options.py, tests/integration/inference/)."""
    settings_env(OUTBOUND_ALLOW_NETWORKS='["127.0.0.0/8"]', OUTBOUND_ALLOW_PORTS='["1024-65535"]')
    fund("user-1", 30)
    image = {"filename": "a.png", "contentType": "image/png", "sizeBytes": 1000}
    reply = api("batch-create", body={"tier": "basic", "images": [image], "options": REMOVEBG_OPTIONS})
    assert reply.status == 201, reply.raw["body"]
    shown = reply.body["batch"]["options"]
    assert {name: shown[name] for name in REMOVEBG_OPTIONS} == REMOVEBG_OPTIONS
    stored = Batch.get(reply.body["batch"]["id"], "BATCH").options
    assert (stored.format, stored.roi, stored.shadow_opacity, stored.placement) == (
        "zip",
        "10% 10% 90% 90%",
        40,
        (0, 0),
    )

    placed = multipart(api, png(), fields={"options": json.dumps(REMOVEBG_OPTIONS)})
    assert placed.status == 202, placed.raw["body"]
    job = placed.body["job"]["options"]
    assert {name: job[name] for name in REMOVEBG_OPTIONS} == REMOVEBG_OPTIONS

    for wrong in ({"shadowType": "3D"}, {"bgImageUrl": "http://10.0.0.7/b.png"}, {"scale": 5}):
        body = {"tier": "basic", "images": [image], "options": {**REMOVEBG_OPTIONS, **wrong}}
        assert api("batch-create", body=body).status in (400, 422), wrong
    assert credits.balance("user-1") == 30 - 3 - 3
