"""Webhooks: a job or batch that carries a `callbackUrl` has its final state POSTed there, signed
with its owner's secret, through the webhook queue (integrations.webhook_delivery, retried with backoff).

A final state is announced once (the write that reaches it is conditional, so only one caller
gets to announce it); the queue may still deliver a message twice, and a delivery that already
succeeded is not sent again. Receivers verify `X-BGR-Signature: t=<unix seconds>,v1=<hex>`, the
HMAC-SHA256 of `"<t>.<raw body>"` under the secret `GET /api/webhooks/secret` shows, and may
de-duplicate on `X-BGR-Delivery`.
"""

import hashlib
import hmac
import json
import secrets

from pynamodb.exceptions import PutError

from bgr_core.integrations import guarded_http
from bgr_core.platform import aws_clients
from bgr_core.platform.config import get_settings
from bgr_core.platform.dynamodb import applied, get_or_none
from bgr_core.platform.models import Batch, Job, WebhookAttribute, WebhookSecret, utcnow

SIGNATURE_HEADER = "X-BGR-Signature"
EVENT_HEADER = "X-BGR-Event"
DELIVERY_HEADER = "X-BGR-Delivery"
SIGNATURE_TOLERANCE_S = 300
TIMEOUT_S = 10.0


# -- callback URLs and secrets ------------------------------------------------------------
def policy(timeout_s: float | None = None) -> guarded_http.Policy:
    """What a delivery may reach; it takes at most TIMEOUT_S, or `timeout_s` when less."""
    schemes = {"https", "http"} if get_settings().webhook_allow_http else {"https"}
    timeout = TIMEOUT_S if timeout_s is None else min(timeout_s, TIMEOUT_S)
    return guarded_http.Policy.from_settings(
        schemes=frozenset(schemes), timeout_seconds=timeout, max_redirects=0, max_bytes=1024 * 1024
    )


def check_callback_url(url: str | None) -> str | None:
    """The URL if webhooks may be sent there (https, public addresses); UrlNotAllowed (400) if not.
    Checked when the job or batch is created, before anything is charged, and again per delivery."""
    if url is not None:
        guarded_http.check_url(url, policy())
    return url


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def secret_for(user_id: str) -> WebhookSecret:
    """The user's signing secret, made on first use (two first uses agree on one)."""
    record = get_or_none(WebhookSecret, user_id)
    if record is not None:
        return record
    record = WebhookSecret(user_id, secret=_new_secret())
    try:
        record.save(condition=WebhookSecret.user_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return get_or_none(WebhookSecret, user_id)
    return record


def rotate_secret(user_id: str) -> WebhookSecret:
    """A new secret; deliveries from now on are signed with it."""
    record = WebhookSecret(user_id, secret=_new_secret(), created_at=utcnow())
    record.save()
    return record


# -- signatures -----------------------------------------------------------------------------
def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str, body: bytes, header: str, now: float, tolerance_s: int = SIGNATURE_TOLERANCE_S
) -> bool:
    """What a receiver does: the signature matches and its timestamp is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return abs(now - timestamp) <= tolerance_s and hmac.compare_digest(expected, parts.get("v1", ""))


# -- announcing final states ----------------------------------------------------------------
def _announce(record: Job | Batch, kind: str, event: str) -> None:
    """Once per final state. A second announcement of the same event (a retried task, a
    redelivered message) sends again only while no try has been made: the first send may have
    failed after the record was marked, and a duplicate message is harmless (a delivered state is
    not sent again)."""
    Model = record.__class__
    first = applied(
        lambda: record.update(
            actions=[Model.webhook.set(WebhookAttribute(event=event))],
            condition=Model.webhook.does_not_exist() | (Model.webhook.event != event),
        )
    )
    if not first:
        record.refresh(consistent_read=True)
        if record.webhook.status != "queued" or int(record.webhook.attempts):
            return
    aws_clients.client("sqs").send_message(
        QueueUrl=get_settings().webhook_queue_url,
        MessageBody=json.dumps({"kind": kind, "id": record.id, "event": event}),
    )


def job_finished(job: Job, status: str) -> None:
    """Queues the delivery of a job's final state (completed or failed) if it has a callback."""
    if job.callback_url:
        _announce(job, "job", f"job.{status}")


def batch_finished(batch: Batch, status: str) -> None:
    """Queues the delivery of a batch's final state (completed, partial or failed) if it has one."""
    if batch.callback_url:
        _announce(batch, "batch", f"batch.{status}")
