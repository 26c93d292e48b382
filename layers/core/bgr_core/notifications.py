"""S3 ObjectCreated notifications as they arrive in SQS message bodies.

The models are lenient on purpose: moto's events lack fields AWS sends (userIdentity,
sequencer, ...), so only what the handlers use is required. Keys arrive URL-encoded (and moto
also encodes '/'), so they are decoded here, once.
"""

import json

from pydantic import BaseModel, Field

from .storage import event_key


class CreatedObject(BaseModel):
    bucket: str
    key: str
    size: int = 0
    etag: str = ""


class _Object(BaseModel):
    key: str
    size: int = 0
    e_tag: str = Field("", alias="eTag")


class _Bucket(BaseModel):
    name: str


class _S3(BaseModel):
    bucket: _Bucket
    object: _Object


class _Record(BaseModel):
    event_name: str = Field(alias="eventName")
    s3: _S3


class _Notification(BaseModel):
    records: list[_Record] = Field(default_factory=list, alias="Records")


def created_objects(body: str) -> list[CreatedObject]:
    """The objects an SQS message announces; [] for S3's test event (sent when a bucket's
    notification configuration is saved)."""
    return [created for created, _ in announcements(body)]


def announcements(body: str) -> list[tuple[CreatedObject, str]]:
    """Each object an SQS message announces, with a message body announcing it alone (what the
    router forwards)."""
    message = json.loads(body)
    if message.get("Event") == "s3:TestEvent":
        return []
    raw = message.get("Records", [])
    return [
        (
            CreatedObject(
                bucket=r.s3.bucket.name,
                key=event_key(r.s3.object.key),
                size=r.s3.object.size,
                etag=r.s3.object.e_tag,
            ),
            json.dumps({"Records": [raw[i]]}),
        )
        for i, r in enumerate(_Notification.model_validate(message).records)
        if r.event_name.startswith("ObjectCreated:")
    ]
