"""Delivering a webhook (the webhook function): one signed POST of a job's or batch's final state
per try, its outcome recorded on the record, retried with backoff through the queue."""

import json
import time
from dataclasses import dataclass

from bgr_core.api.views import BatchView, JobView
from bgr_core.integrations import guarded_http, webhooks
from bgr_core.platform.config import get_settings
from bgr_core.platform.models import Batch, Job, utcnow
from bgr_core.work import batches, jobs

MAX_BACKOFF_S = 12 * 3600  # SQS's longest visibility timeout


@dataclass(frozen=True)
class Delivery:
    status: str  # delivered | skipped | failed | retry
    retry_in_s: int = 0
    error: str = ""


def backoff_seconds(attempt: int) -> int:
    """How long a delivery that failed its `attempt`-th try waits: base, 2 x base, 4 x base ..."""
    return min(get_settings().webhook_retry_base_seconds * 2 ** max(attempt - 1, 0), MAX_BACKOFF_S)


def _load(kind: str, record_id: str) -> Job | Batch | None:
    return jobs.get(record_id) if kind == "job" else batches.get(record_id)


def _payload(kind: str, record: Job | Batch, event: str) -> bytes:
    view = JobView.of(record) if kind == "job" else BatchView.of(record)
    body = {"event": event, "sentAt": utcnow().isoformat(), kind: view.model_dump(mode="json", by_alias=True)}
    return json.dumps(body, separators=(",", ":")).encode()


def deliver(
    kind: str,
    record_id: str,
    event: str,
    attempt: int,
    now: float | None = None,
    timeout_s: float | None = None,
) -> Delivery:
    """One try at POSTing the final state, within `timeout_s` (at most webhooks.TIMEOUT_S):
    `retry` (with the wait before the next try) until `webhook_max_attempts` tries have failed,
    then `failed`. The record shows each outcome."""
    record = _load(kind, record_id)
    if record is None or record.webhook is None or record.webhook.event != event:
        return Delivery("skipped", error="no such delivery")
    if record.webhook.status == "delivered":
        return Delivery("skipped", error="already delivered")
    now = time.time() if now is None else now
    body = _payload(kind, record, event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "BackgroundRemoverPro-Webhooks/1.0",
        webhooks.EVENT_HEADER: event,
        webhooks.DELIVERY_HEADER: f"{kind}:{record_id}:{event}",
        webhooks.SIGNATURE_HEADER: webhooks.sign(webhooks.secret_for(record.user_id).secret, body, int(now)),
    }
    try:
        answer = guarded_http.fetch(
            record.callback_url, webhooks.policy(timeout_s), method="POST", body=body, headers=headers
        )
        error = "" if 200 <= answer.status < 300 else f"the receiver answered {answer.status}"
    except (guarded_http.UrlNotAllowed, guarded_http.FetchFailed, guarded_http.FetchTooLarge) as exc:
        error = exc.message
    Model = record.__class__
    actions = [Model.webhook.attempts.add(1)]
    if not error:
        result = Delivery("delivered")
        actions += [Model.webhook.status.set("delivered"), Model.webhook.delivered_at.set(utcnow())]
    elif attempt >= get_settings().webhook_max_attempts:
        result = Delivery("failed", error=error)
        actions += [Model.webhook.status.set("failed"), Model.webhook.last_error.set(error[:500])]
    else:
        result = Delivery("retry", backoff_seconds(attempt), error)
        actions += [Model.webhook.last_error.set(error[:500])]
    record.update(actions=actions)
    return result
