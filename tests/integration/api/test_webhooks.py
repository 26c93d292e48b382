"""Webhooks end to end on moto: final states queued once, POSTed to a real HTTP receiver on a
free local port by the webhook function, signed, retried until the receiver takes them."""

import json
import socket
import time
from contextlib import ExitStack
from dataclasses import dataclass

import boto3
import pytest

from bgr_core.integrations import webhook_delivery, webhooks
from bgr_core.platform.aws_clients import client
from bgr_core.platform.models import Batch, Job
from bgr_core.work import batches, jobs, lifecycle
from bgr_core.work.output_options import OutputOptions
from bgr_local.context import LambdaContext
from harness import TEMPLATE
from http_stub import QuietHandler, base_url, http_server
from money import fund
from queues import receive, sqs_event

QUEUE_URL = TEMPLATE.ref("WebhookQueue")


@dataclass
class Receiver:
    url: str
    received: list[tuple[dict, bytes]]  # headers and body of each POST


@pytest.fixture
def receiver(aws, settings_env):
    """Starts receivers the local settings may call (http on loopback, retries without a wait):
    each answers 500 to its first `failures` POSTs, then 204, and keeps what it was sent."""
    settings_env(
        WEBHOOK_ALLOW_HTTP="true",
        OUTBOUND_ALLOW_NETWORKS='["127.0.0.0/8"]',
        OUTBOUND_ALLOW_PORTS='["1024-65535"]',
        WEBHOOK_RETRY_BASE_SECONDS="0",
    )
    with ExitStack() as servers:

        def start(failures: int = 0) -> Receiver:
            received = []

            class Handler(QuietHandler):
                def do_POST(self):
                    received.append((dict(self.headers), self.body()))
                    self.answer(500 if len(received) <= failures else 204)

            server = servers.enter_context(http_server(Handler))
            return Receiver(f"{base_url(server)}/hooks", received)

        yield start


def deliver_all(max_rounds: int = 20) -> list[dict]:
    """Runs the webhook function on whatever the queue holds until it is empty (the retries come
    back at once: the backoff base is 0 here); returns each invocation's response."""
    from functions.webhooks import app

    sqs, responses = boto3.client("sqs"), []
    for _ in range(max_rounds):
        got = receive("WebhookQueue")
        if not got:
            return responses
        response = app.handler(sqs_event(got, "WebhookQueue"), LambdaContext("WebhookFunction"))
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        done = [m for m in got if m["MessageId"] not in failed]
        for message in done:  # what the event source mapping does with the successes
            sqs.delete_message(QueueUrl=QUEUE_URL, ReceiptHandle=message["ReceiptHandle"])
        responses.append(response)
    raise AssertionError("the webhook queue never drained")


def finished_job(url: str, outcome: str = "completed") -> Job:
    fund("user-1", 10)
    job = jobs.create("user-1", "basic", "a.png", options=OutputOptions(), callback_url=url)
    assert jobs.start(job)
    if outcome == "completed":
        lifecycle.end_job(
            job,
            lifecycle.Completed(result_key="results/user-1/x.png", processed_size=10, model_name="u2netp"),
        )
    else:
        assert lifecycle.end_job(job, lifecycle.Failed("CORRUPT_IMAGE", "the image is corrupt"))
    return job


def assert_signed(headers: dict, body: bytes, user: str = "user-1") -> None:
    secret = webhooks.secret_for(user).secret
    assert webhooks.verify(secret, body, headers[webhooks.SIGNATURE_HEADER], now=time.time())
    assert not webhooks.verify("whsec_other", body, headers[webhooks.SIGNATURE_HEADER], now=time.time())


def test_a_receiver_that_fails_twice_still_gets_one_signed_delivery(receiver):
    server = receiver(failures=2)
    job = finished_job(server.url)
    deliver_all()
    assert len(server.received) == 3  # 500, 500, then 204
    headers, body = server.received[-1]
    assert_signed(headers, body)
    payload = json.loads(body)
    assert payload["event"] == "job.completed" and headers["X-BGR-Event"] == "job.completed"
    assert payload["job"]["id"] == job.id and payload["job"]["status"] == "completed"
    assert headers["X-BGR-Delivery"] == f"job:{job.id}:job.completed"
    hook = Job.get(job.id).webhook
    assert hook.status == "delivered" and int(hook.attempts) == 3 and hook.delivered_at is not None


def test_one_delivery_per_final_state_even_when_announced_or_queued_twice(receiver):
    server = receiver()
    job = finished_job(server.url, outcome="failed")
    webhooks.job_finished(Job.get(job.id), "failed")  # a retried task announcing again: refused
    body = json.dumps({"kind": "job", "id": job.id, "event": "job.failed"})
    boto3.client("sqs").send_message(QueueUrl=QUEUE_URL, MessageBody=body)  # SQS delivering twice
    deliver_all()
    assert len(server.received) == 1
    headers, body = server.received[0]
    assert_signed(headers, body)
    assert json.loads(body)["job"]["errorCode"] == "CORRUPT_IMAGE"


def test_an_announcement_whose_send_failed_is_sent_when_announced_again(receiver, monkeypatch):
    server = receiver()
    sqs = client("sqs")

    def lost(**kwargs):
        raise ConnectionError("SQS unreachable")

    with monkeypatch.context() as patched, pytest.raises(ConnectionError):
        patched.setattr(sqs, "send_message", lost)
        finished_job(server.url)
    job = Job.get(next(iter(Job.scan())).id)
    assert job.webhook.status == "queued"
    webhooks.job_finished(job, "completed")  # what a redelivered message or retried task does
    deliver_all()
    assert len(server.received) == 1 and Job.get(job.id).webhook.status == "delivered"
    webhooks.job_finished(Job.get(job.id), "completed")  # once delivered, never again
    deliver_all()
    assert len(server.received) == 1


def test_a_batch_announces_its_final_state(receiver):
    server = receiver()
    fund("user-1", 10)
    specs = [batches.ImageSpec(filename=f"{i}.png", content_type="image/png", size_bytes=9) for i in range(2)]
    batch, _ = batches.create("user-1", "basic", specs, options=OutputOptions(), callback_url=server.url)
    for index in range(2):
        lifecycle.end_item(batch.id, index, lifecycle.Failed("CORRUPT_IMAGE", "bad"))
    deliver_all()
    assert len(server.received) == 1
    headers, body = server.received[0]
    assert_signed(headers, body)
    payload = json.loads(body)
    assert payload["event"] == "batch.failed" and payload["batch"]["failedImages"] == 2
    assert Batch.get(batch.id, "BATCH").webhook.status == "delivered"


def test_a_receiver_that_never_answers_2xx_ends_failed_after_the_last_attempt(receiver, settings_env):
    settings_env(WEBHOOK_MAX_ATTEMPTS="3")
    server = receiver(failures=100)
    job = finished_job(server.url)
    deliver_all()
    assert len(server.received) == 3
    hook = Job.get(job.id).webhook
    assert hook.status == "failed" and hook.last_error == "the receiver answered 500"


def test_backoff_doubles_from_the_base(settings_env):
    settings_env(WEBHOOK_RETRY_BASE_SECONDS="10")
    assert [webhook_delivery.backoff_seconds(n) for n in (1, 2, 3, 8)] == [10, 20, 40, 1280]
    assert webhook_delivery.backoff_seconds(20) == webhook_delivery.MAX_BACKOFF_S


def test_the_secret_route_shows_and_rotates(api):
    shown = api("webhook-secret").body
    assert shown["secret"].startswith("whsec_") and shown["signatureHeader"] == "X-BGR-Signature"
    assert api("webhook-secret").body["secret"] == shown["secret"]
    rotated = api("webhook-secret-rotate").body["secret"]
    assert rotated != shown["secret"] and api("webhook-secret").body["secret"] == rotated


def test_callback_urls_must_be_https_and_public(api):
    fund("user-1", 10)
    body = {"tier": "basic", "filename": "a.png", "contentType": "image/png", "sizeBytes": 9}
    for url in ("http://example.com/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook", "ftp://x/y"):
        reply = api("remove-json", body={**body, "callbackUrl": url})
        assert reply.status == 400 and reply.error == "URL_NOT_ALLOWED", url
    assert not list(Job.scan())


def test_a_receiver_that_never_answers_delays_only_its_own_deliveries(receiver):
    """10 deliveries in one SQS batch, 3 to a receiver that accepts the connection and never
    answers: each delivery gets its share of the invocation's time, so the 7 others are delivered
    in that invocation and the 3 are reported as batch item failures, to be retried."""
    from functions.webhooks import app

    silent = socket.create_server(("127.0.0.1", 0), backlog=16)  # never accepts: the kernel does
    try:
        hole = f"http://127.0.0.1:{silent.getsockname()[1]}/hooks"
        server = receiver()
        stuck = [finished_job(hole) for _ in range(3)]
        taken = [finished_job(server.url) for _ in range(7)]
        got = receive("WebhookQueue")
        assert len(got) == 10
        context = LambdaContext("WebhookFunction", timeout_s=app.MARGIN_S + 3)  # 0.3 s a delivery
        response = app.handler(sqs_event(got, "WebhookQueue"), context)
        assert context.get_remaining_time_in_millis() > 0  # done before Lambda would have ended it
    finally:
        silent.close()
    by_job = {json.loads(m["Body"])["id"]: m["MessageId"] for m in got}
    assert {f["itemIdentifier"] for f in response["batchItemFailures"]} == {by_job[j.id] for j in stuck}
    assert len(server.received) == 7
    assert all(Job.get(j.id).webhook.status == "delivered" for j in taken)
    for job in stuck:
        hook = Job.get(job.id).webhook
        assert (hook.status, int(hook.attempts)) == ("queued", 1) and "no answer" in hook.last_error
    assert {json.loads(m["Body"])["id"] for m in receive("WebhookQueue")} == {j.id for j in stuck}  # retried
