"""Integration batches: made from what a platform app stored under apps/<app>/<user>/."""

import boto3
import pytest
from botocore.exceptions import ClientError
from workflow import png

from bgr_core.money import credits
from bgr_core.platform import storage
from bgr_core.platform.aws_clients import client
from bgr_core.platform.errors import BadRequest, FeatureDisabled, NotFound, UnsupportedMedia
from bgr_core.platform.models import Batch
from bgr_core.work import batches, lifecycle, settlement
from bgr_core.work.output_options import OutputOptions
from harness import TEMPLATE
from money import fund
from queues import announced_keys, receive

BUCKET = TEMPLATE.name("ImagesBucket")


@pytest.fixture
def s3(aws):
    return boto3.client("s3", region_name=TEMPLATE.region)


def store(s3, key: str, body: bytes = b"") -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body or png(1))


def from_app(user="u1", app="avatar-creator", keys=None):
    return batches.create_from_app(user, app, "standard", options=OutputOptions(), keys=keys)


def test_an_app_batch_is_charged_and_copied_to_batch_keys(aws, s3):
    fund("u1", 100)
    store(s3, "apps/avatar-creator/u1/a.png")
    store(s3, "apps/avatar-creator/u1/sub/b.jpg")
    store(s3, "apps/avatar-creator/u1/notes.txt", b"not an image")
    store(s3, "apps/avatar-creator/u2/theirs.png")
    store(s3, "apps/pose-generator/u1/other-app.png")
    batch = from_app()
    assert (batch.source, batch.total_images, batch.final_price) == ("avatar-creator", 2, 16)
    assert credits.balance("u1") == 84
    items = batches.items_for_user("u1", batch.id)
    assert [i.filename for i in items] == ["a.png", "b.jpg"]
    for item in items:
        assert item.key.startswith(f"batches/u1/{batch.id}/")
        assert storage.get_bytes(item.key) == png(1)
    assert announced_keys(receive("IngestQueue")) == sorted(i.key for i in items)


def test_named_keys_reach_only_the_users_own_prefix(aws, s3):
    fund("u1", 100)
    store(s3, "apps/avatar-creator/u1/a.png")
    store(s3, "apps/avatar-creator/u1/b.png")
    store(s3, "apps/avatar-creator/u2/theirs.png")
    batch = from_app(keys=["b.png"])
    assert [i.filename for i in batches.items(batch.id)] == ["b.png"]
    for foreign in (
        "apps/avatar-creator/u2/theirs.png",
        "../u2/theirs.png",
        "apps/avatar-creator/u1/../u2/theirs.png",
    ):
        with pytest.raises(NotFound):
            from_app(keys=[foreign])
    assert credits.balance("u1") == 92 and batches.count_for_user("u1") == 1


def test_refused_app_batches_charge_nothing(aws, s3, settings_env):
    fund("u1", 100)
    store(s3, "apps/avatar-creator/u1/notes.txt", b"text")
    with pytest.raises(NotFound):
        from_app(app="photo-stealer")
    with pytest.raises(BadRequest):
        from_app()  # nothing but a text file
    with pytest.raises(BadRequest):
        from_app(app="carousel-mix")  # nothing stored at all
    with pytest.raises(UnsupportedMedia):
        from_app(keys=["notes.txt"])
    settings_env(FEATURE_INTEGRATIONS="false")
    with pytest.raises(FeatureDisabled):
        from_app()
    assert list(Batch.scan()) == [] and credits.balance("u1") == 100


def test_upload_forms_admit_each_item_at_its_own_key(aws):
    fund("u1", 100)
    images = [
        batches.ImageSpec(filename="a.png", contentType="image/png", sizeBytes=10),
        batches.ImageSpec(filename="../b.webp", contentType="image/webp", sizeBytes=10),
    ]
    batch, items = batches.create("u1", "basic", images, options=OutputOptions())
    forms = batches.upload_forms(batch, items)
    assert [(f["itemIndex"], f["filename"]) for f in forms] == [(0, "a.png"), (1, "b.webp")]
    assert [f["fields"]["key"] for f in forms] == [i.key for i in items]
    assert [f["fields"]["Content-Type"] for f in forms] == ["image/png", "image/webp"]


def test_a_failed_copy_refunds_the_items_that_never_arrived(aws, monkeypatch):
    fund("u1", 100)
    for name in ("a.png", "b.png", "c.png"):
        client("s3").put_object(
            Bucket=storage.get_settings().bucket_name, Key=f"apps/avatar-creator/u1/{name}", Body=b"x"
        )
    real_copy, calls = client("s3").copy_object, []

    def flaky_copy(**kwargs):
        calls.append(kwargs["Key"])
        if len(calls) == 2:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, "CopyObject")
        return real_copy(**kwargs)

    monkeypatch.setattr(client("s3"), "copy_object", flaky_copy)
    with pytest.raises(ClientError):
        batches.create_from_app("u1", "avatar-creator", "basic", options=OutputOptions())
    (batch,) = batches.list_for_user("u1")[0]
    statuses = [item.status for item in batches.items(batch.id)]
    assert statuses == ["pending", "failed", "failed"]
    assert credits.balance("u1") == 100 - 9  # the two that never arrived: refunded when it settles
    assert settlement.start_item(batch.id, 0)
    lifecycle.end_item(batch.id, 0, lifecycle.Failed("CORRUPT_IMAGE", "not an image"))  # arrived, then failed
    assert credits.balance("u1") == 100 and batches.get(batch.id).arrived_images == 1
