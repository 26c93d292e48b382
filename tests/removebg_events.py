"""remove.bg's API as API Gateway hands it to the removebg function, for tests that call it."""

import base64
import json


def removebg_event(api, user: str, body: dict) -> dict:
    """POST /v1.0/removebg as the X-Api-Key authorizer passes it on (JSON in, JSON out)."""
    event = api.event("balance", user=None)
    event.update(
        httpMethod="POST",
        resource="/v1.0/removebg",
        path="/v1.0/removebg",
        body=json.dumps(body),
        isBase64Encoded=False,
    )
    event["headers"] = {"Content-Type": "application/json", "Accept": "application/json"}
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    event["requestContext"]["authorizer"] = {"userId": user, "keyId": "k1"}
    return event


def removebg_raw_event(api, user: str, body: bytes, content_type: str) -> dict:
    """POST /v1.0/removebg with any body, base64-encoded as API Gateway passes binary media types."""
    event = removebg_event(api, user, {})
    event.update(body=base64.b64encode(body).decode(), isBase64Encoded=True)
    event["headers"]["Content-Type"] = content_type
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    return event
