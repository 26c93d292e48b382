"""Events as AWS delivers them: API Gateway REST proxy (with Cognito authorizer claims),
S3 notifications, and SQS records carrying them."""

import base64
import json
import uuid
from urllib.parse import quote_plus

from harness import TEMPLATE


def api_event(
    method: str,
    path: str,
    *,
    user: str | None = "user-1",
    groups: tuple[str, ...] = (),
    body=None,
    query: dict | None = None,
    headers: dict | None = None,
    path_params: dict | None = None,
    resource: str | None = None,
    binary: bytes | None = None,
) -> dict:
    """An API Gateway proxy event; `user=None` means no authorizer claims (public route)."""
    headers = {"Content-Type": "application/json", **(headers or {})}
    if binary is not None:
        raw, is_b64 = base64.b64encode(binary).decode(), True
    elif body is None or isinstance(body, str):
        raw, is_b64 = body, False
    else:
        raw, is_b64 = json.dumps(body), False
    authorizer = None
    if user is not None:
        claims = {"sub": user, "email": f"{user}@example.com"}
        if groups:
            claims["cognito:groups"] = ",".join(groups)
        authorizer = {"claims": claims}
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or path,
            "httpMethod": method,
            "path": f"/dev{path}",
            "stage": "dev",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "pytest"},
            "authorizer": authorizer,
            "accountId": "123456789012",
            "apiId": "local",
        },
        "body": raw,
        "isBase64Encoded": is_b64,
    }


def s3_record(key: str, size: int = 1, bucket: str | None = None, encode=quote_plus) -> dict:
    """One S3 ObjectCreated record (keys arrive URL-encoded, as AWS sends them)."""
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": TEMPLATE.region,
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": bucket or TEMPLATE.name("ImagesBucket"), "arn": "arn:aws:s3:::bucket"},
            "object": {"key": encode(key), "size": size, "eTag": uuid.uuid4().hex},
        },
    }


def sqs_event(*bodies: dict | str, receive_count: int = 1) -> dict:
    """An SQS event for a Lambda; each body is an S3 notification (dict) or raw text."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": uuid.uuid4().hex,
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {"ApproximateReceiveCount": str(receive_count), "SentTimestamp": "0"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": TEMPLATE.arn("IngestQueue"),
                "awsRegion": TEMPLATE.region,
            }
            for body in bodies
        ]
    }


def s3_notification(*keys: str) -> dict:
    return {"Records": [s3_record(k) for k in keys]}
