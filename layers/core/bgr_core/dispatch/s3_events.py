"""S3 ObjectCreated notifications as they arrive in SQS message bodies, read through Powertools'
S3 event data class (it reads only the fields asked for, so moto's events, which lack some of
AWS's, read the same; it decodes the URL-encoded keys, '/' as %2F included, as moto sends them).
A notification without a size (moto's, or a test's) reads as size 0, as before."""

import json

from aws_lambda_powertools.utilities.data_classes import S3Event
from pydantic import BaseModel


class CreatedObject(BaseModel):
    bucket: str
    key: str
    size: int = 0
    etag: str = ""


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
    found = []
    for raw in message.get("Records", []):
        alone = {"Records": [raw]}
        event = S3Event(alone)
        if not event.record.event_name.startswith("ObjectCreated:"):
            continue
        s3_object = event.record.s3.get_object
        # moto's events (and hand-made ones) may lack the size: read it leniently
        created = CreatedObject(
            bucket=event.bucket_name, key=event.object_key, size=s3_object.get("size", 0), etag=s3_object.etag
        )
        found.append((created, json.dumps(alone)))
    return found
