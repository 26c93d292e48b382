"""S3 notifications as SQS bodies: what AWS sends, what moto sends (no size, '/' encoded), and
S3's test event."""

import json

from bgr_core.dispatch.s3_events import announcements, created_objects


def record(key: str, name: str = "ObjectCreated:Put", **obj) -> dict:
    return {"eventName": name, "s3": {"bucket": {"name": "b"}, "object": {"key": key, **obj}}}


def test_keys_are_decoded_and_each_record_is_announced_alone():
    body = json.dumps(
        {
            "Records": [
                record("drop%2Fu1%2Fbasic%2Fmy+photo.jpg", size=5, eTag="e"),
                record("uploads/u/j/a.png"),
            ]
        }
    )
    first, second = announcements(body)
    assert first[0].model_dump() == {
        "bucket": "b",
        "key": "drop/u1/basic/my photo.jpg",
        "size": 5,
        "etag": "e",
    }
    assert json.loads(first[1])["Records"] == [json.loads(body)["Records"][0]]
    assert second[0].size == 0 and second[0].etag == ""  # a record without size or eTag still reads


def test_only_created_objects_count():
    body = json.dumps({"Records": [record("a.jpg", name="ObjectRemoved:Delete"), record("b.jpg")]})
    assert [o.key for o in created_objects(body)] == ["b.jpg"]
    assert created_objects(json.dumps({"Event": "s3:TestEvent", "Bucket": "b"})) == []
