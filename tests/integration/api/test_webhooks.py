"""Webhooks end to end on moto: final states queued once, POSTed to a real HTTP receiver on a
free local port by the webhook function, signed, retried until the receiver takes them."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from bgr_core import batches, jobs, settlement, webhook_delivery, webhooks
from bgr_core.aws import client
from bgr_core.models import Batch, Job
from bgr_core.options import OutputOptions
from bgr_local.context import LambdaContext
from harness import TEMPLATE

QUEUE_URL = TEMPLATE.ref("WebhookQueue")


class Receiver(ThreadingHTTPServer):
    """Answers 500 to the first `failures` POSTs, then 204; keeps what it was sent."""

    def __init__(self, failures: int = 0):
        self.failures, self.received = failures, []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler):
                body = handler.rfile.read(int(handler.headers["Content-Length"]))
                self.received.append((dict(handler.headers), body))
                handler.send_response(500 if len(self.received) <= self.failures else 204)
                handler.send_header("Content-Length", "0")
                handler.end_headers()

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks"


@pytest.fixture
def receiver(aws, settings_env):
    """A receiver the local settings may call (http on loopback, retries without a wait)."""
    settings_env(
        WEBHOOK_ALLOW_HTTP="true", OUTBOUND_ALLOW_NETWORKS='["127.0.0.0/8"]', WEBHOOK_RETRY_BASE_SECONDS="0"
    )
    servers = []

    def start(failures: int = 0) -> Receiver:
        server = Receiver(failures)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def deliver_all(max_rounds: int = 20) -> list[dict]:
    """Runs the webhook function on whatever the queue holds until it is empty (the retries come
    back at once: the backoff base is 0 here); returns each invocation's response."""
    from functions.webhooks import app

    sqs, responses = boto3.client("sqs"), []
    for _ in range(max_rounds):
        got = sqs.receive_message(
            QueueUrl=QUEUE_URL, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not got:
            return responses
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m["Attributes"],
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": TEMPLATE.arn("WebhookQueue"),
                "awsRegion": TEMPLATE.region,
            }
            for m in got
        ]
        response = app.handler({"Records": records}, LambdaContext("WebhookFunction"))
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        done = [m for m in got if m["MessageId"] not in failed]
        for message in done:  # what the event source mapping does with the successes
            sqs.delete_message(QueueUrl=QUEUE_URL, ReceiptHandle=message["ReceiptHandle"])
        responses.append(response)
    raise AssertionError("the webhook queue never drained")


def finished_job(funded, url: str, outcome: str = "completed") -> Job:
    funded(amount=10)
    job = jobs.create("user-1", "basic", "a.png", options=OutputOptions(), callback_url=url)
    assert jobs.start(job)
    if outcome == "completed":
        jobs.complete(job, result_key="results/user-1/x.png", processed_size=10, model_name="u2netp")
    else:
        assert jobs.fail(job, "CORRUPT_IMAGE", "the image is corrupt")
    return job


def assert_signed(headers: dict, body: bytes, user: str = "user-1") -> None:
    secret = webhooks.secret_for(user).secret
    assert webhooks.verify(secret, body, headers[webhooks.SIGNATURE_HEADER], now=time.time())
    assert not webhooks.verify("whsec_other", body, headers[webhooks.SIGNATURE_HEADER], now=time.time())


def test_a_receiver_that_fails_twice_still_gets_one_signed_delivery(receiver, funded):
    server = receiver(failures=2)
    job = finished_job(funded, server.url)
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


def test_one_delivery_per_final_state_even_when_announced_or_queued_twice(receiver, funded):
    server = receiver()
    job = finished_job(funded, server.url, outcome="failed")
    webhooks.job_finished(Job.get(job.id), "failed")  # a retried task announcing again: refused
    body = json.dumps({"kind": "job", "id": job.id, "event": "job.failed"})
    boto3.client("sqs").send_message(QueueUrl=QUEUE_URL, MessageBody=body)  # SQS delivering twice
    deliver_all()
    assert len(server.received) == 1
    headers, body = server.received[0]
    assert_signed(headers, body)
    assert json.loads(body)["job"]["errorCode"] == "CORRUPT_IMAGE"


def test_an_announcement_whose_send_failed_is_sent_when_announced_again(receiver, funded, monkeypatch):
    server = receiver()
    sqs = client("sqs")

    def lost(**kwargs):
        raise ConnectionError("SQS unreachable")

    with monkeypatch.context() as patched, pytest.raises(ConnectionError):
        patched.setattr(sqs, "send_message", lost)
        finished_job(funded, server.url)
    job = Job.get(next(iter(Job.scan())).id)
    assert job.webhook.status == "queued"
    webhooks.job_finished(job, "completed")  # what a redelivered message or retried task does
    deliver_all()
    assert len(server.received) == 1 and Job.get(job.id).webhook.status == "delivered"
    webhooks.job_finished(Job.get(job.id), "completed")  # once delivered, never again
    deliver_all()
    assert len(server.received) == 1


def test_a_batch_announces_its_final_state(receiver, funded):
    server = receiver()
    funded(amount=10)
    specs = [batches.ImageSpec(filename=f"{i}.png", content_type="image/png", size_bytes=9) for i in range(2)]
    batch, _ = batches.create("user-1", "basic", specs, options=OutputOptions(), callback_url=server.url)
    for index in range(2):
        settlement.fail_item(batch.id, index, "CORRUPT_IMAGE", "bad")
    deliver_all()
    assert len(server.received) == 1
    headers, body = server.received[0]
    assert_signed(headers, body)
    payload = json.loads(body)
    assert payload["event"] == "batch.failed" and payload["batch"]["failedImages"] == 2
    assert Batch.get(batch.id, "BATCH").webhook.status == "delivered"


def test_a_receiver_that_never_answers_2xx_ends_failed_after_the_last_attempt(receiver, funded, settings_env):
    settings_env(WEBHOOK_MAX_ATTEMPTS="3")
    server = receiver(failures=100)
    job = finished_job(funded, server.url)
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


def test_callback_urls_must_be_https_and_public(api, funded):
    funded(amount=10)
    body = {"tier": "basic", "filename": "a.png", "contentType": "image/png", "sizeBytes": 9}
    for url in ("http://example.com/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook", "ftp://x/y"):
        reply = api("remove-json", body={**body, "callbackUrl": url})
        assert reply.status == 400 and reply.error == "URL_NOT_ALLOWED", url
    assert not list(Job.scan())
