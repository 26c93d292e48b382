"""The local runtime end to end, over HTTP and the S3 endpoint only: `python -m bgr_local serve`
on free ports in a subprocess, driven as a user would, stopped with Ctrl-C."""

import io
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from pathlib import Path

import boto3
import pytest
import requests
from PIL import Image
from skimage import data

from bgr_cli.client import ApiError, Client, download, upload
from bgr_core.integrations import webhooks
from bgr_local import tokens
from bgr_local.template import Template
from http_stub import QuietHandler, base_url, http_server
from serving import serving

pytestmark = pytest.mark.slow
BGR = "/api/background-remover"
SECRET = secrets.token_urlsafe(16)
LOCAL = Template()  # the stack `serve` creates


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    """Allowing webhooks to a receiver on this machine (http, loopback): explicit, never in AWS."""
    loopback = (
        "--parameter",
        "WebhookAllowHttp=true",
        "--parameter",
        'OutboundAllowNetworks=["127.0.0.0/8"]',
        "--parameter",
        'OutboundAllowPorts=["1024-65535"]',
    )
    with serving(tmp_path_factory.mktemp("serve") / "serve.log", SECRET, *loopback) as urls:
        yield urls


def pay(checkout_url: str) -> requests.Response:
    """What a payer does on the local checkout's page: opens it and pays (its answer: the 303
    back to the app, sent once the payment's events were delivered to the webhook)."""
    page = requests.get(checkout_url, timeout=30)
    assert page.status_code == 200 and "Pay Rp" in page.text, page.text
    return requests.post(f"{checkout_url}/pay", allow_redirects=False, timeout=120)


def subscribe_paid(user: Client, plan: str) -> dict:
    checkout = user.post(f"{BGR}/subscription", {"plan": plan})["checkout"]
    assert pay(checkout["url"]).status_code == 303
    return user.get(f"{BGR}/subscription")["subscription"]


def client(runtime, user: str | None = None, admin: bool = False) -> Client:
    token = tokens.sign(user, ("admin",) if admin else (), secret=SECRET.encode()) if user else None
    return Client(runtime["api"], token, poll_s=0.3)


def new_user(runtime, credits: int = 0) -> tuple[str, Client]:
    user_id = f"e2e-{uuid.uuid4().hex[:8]}"
    if credits:
        client(runtime, "e2e-admin", admin=True).grant(user_id, credits, "e2e")
    return user_id, client(runtime, user_id)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    paths = []
    for name in ("chelsea", "coffee"):
        paths.append(folder / f"{name}.jpg")
        Image.fromarray(getattr(data, name)()).save(paths[-1], quality=90)
    return paths


def assert_cutout(png: bytes, size: tuple[int, int]) -> None:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "RGBA" and image.size == size
    low, high = image.getchannel("A").getextrema()
    assert low == 0 and high == 255  # a background removed, a subject kept


def test_a_new_user_sees_empty_shapes_not_errors(runtime):
    _, user = new_user(runtime)
    assert user.get(f"{BGR}/subscription") == {"subscription": None}
    assert user.get(f"{BGR}/jobs")["jobs"] == []
    stats = user.get(f"{BGR}/stats")["stats"]
    assert stats["totalSingleRemovals"] == 0 and stats["totalBatches"] == 0
    assert stats["hasSubscription"] is False and stats["plan"] is None
    assert user.balance() == 0


def test_public_routes_need_no_token_and_protected_ones_refuse_bad_ones(runtime):
    assert requests.get(f"{runtime['api']}{BGR}/pricing", timeout=30).status_code == 200
    for headers in ({}, {"Authorization": "Bearer forged.token.here"}):
        response = requests.get(f"{runtime['api']}/api/credits/balance", headers=headers, timeout=30)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_api_gateway_s_own_answers_as_the_template_shapes_them(runtime):
    """A browser's preflight from a foreign origin, and a request without a token: answered
    before any function runs, as the template's Cors and GatewayResponses say."""
    origin = {"Origin": "https://shop.example"}
    preflight = requests.options(
        f"{runtime['api']}/api/credits/balance",
        headers={
            **origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
        timeout=30,
    )
    assert 200 <= preflight.status_code < 300 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    refused = requests.get(f"{runtime['api']}/api/credits/balance", headers=origin, timeout=30)
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == "*"
    assert refused.json() == {"error": {"code": "UNAUTHORIZED", "message": "Unauthorized"}}


ROUTES = {  # what must be the caller's own in each answer, on routes of two functions
    "balance": ("GET", "/api/credits/balance", None, lambda body: body["balance"]),
    "jobs": ("GET", f"{BGR}/jobs", None, lambda body: [j["id"] for j in body["jobs"]]),
    "stats": ("GET", f"{BGR}/stats", None, lambda body: body["stats"]),
    "subscription": ("GET", f"{BGR}/subscription", None, lambda body: body["subscription"]),
    "quote": (
        "POST",
        f"{BGR}/pricing/quote",
        {"tier": "basic", "imageCount": 1},
        lambda body: body["quote"]["coveredBySubscription"],
    ),
}


def hammer(api: str, tokens_by_user: dict[str, str], expected: dict, requests_n: int) -> dict:
    """`requests_n` requests at once, alternating users and routes; counts what came back."""
    users, routes = list(tokens_by_user), list(ROUTES)
    calls = [(users[i % 2], routes[i % len(routes)]) for i in range(requests_n)]
    start, lock = threading.Barrier(len(calls)), threading.Lock()
    counts = {"answered": 0, "resets": 0, "mixed": 0}

    def call(user: str, route: str) -> None:
        method, path, body, own = ROUTES[route]
        start.wait()
        try:
            response = requests.request(
                method,
                api + path,
                json=body,
                headers={"Authorization": f"Bearer {tokens_by_user[user]}"},
                timeout=120,
            )
        except requests.ConnectionError:
            outcome = "resets"
        else:
            outcome = "answered" if response.status_code == 200 else f"status {response.status_code}"
            if response.status_code == 200 and own(response.json()) != expected[user][route]:
                outcome = "mixed"
        with lock:
            counts[outcome] = counts.get(outcome, 0) + 1

    threads = [threading.Thread(target=call, args=c) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"requests": len(calls), **counts}


def test_simultaneous_requests_of_two_users_on_two_functions_never_mix(runtime):
    """Each function instance is isolated (a process, one event at a time), as on Lambda: 100
    requests at once from two users with different balances, jobs and subscriptions, on routes of
    the account and the pricing functions, each get the caller's own answer."""
    users = {}
    for credits_, plan in ((20, "starter"), (40, None)):
        user_id, user = new_user(runtime, credits=credits_)
        if plan:
            subscribe_paid(user, plan)
        user.post(
            f"{BGR}/remove",
            {"tier": "basic", "filename": "a.jpg", "contentType": "image/jpeg", "sizeBytes": 100},
        )
        users[user_id] = user
    expected = {
        user_id: {
            route: own(user.request(method, path, json=body))
            for route, (method, path, body, own) in ROUTES.items()
        }
        for user_id, user in users.items()
    }
    first, second = expected.values()
    assert all(first[route] != second[route] for route in ROUTES)  # a mix would show
    counts = hammer(runtime["api"], {u: c.token for u, c in users.items()}, expected, 100)
    assert counts == {"requests": 100, "answered": 100, "resets": 0, "mixed": 0}


def test_money_comes_in_through_the_local_checkout_and_its_signed_events(runtime):
    """The local checkout stands in for Stripe: the deployed adapter creates the session on it,
    paying delivers Stripe-shaped events signed with the webhook secret the stack reads from SSM,
    and the deployed webhook function applies them."""
    admin = tokens.sign("e2e-admin", ("admin",), secret=SECRET.encode())
    health = requests.get(
        f"{runtime['api']}/api/admin/health", headers={"Authorization": f"Bearer {admin}"}, timeout=30
    )
    assert health.json()["features"]["payments"] is True
    _, user = new_user(runtime)
    checkout = user.post(f"{BGR}/subscription", {"plan": "pro"})["checkout"]
    assert user.get(f"{BGR}/subscription") == {"subscription": None}  # a checkout changes nothing
    paid = pay(checkout["url"])
    assert paid.status_code == 303
    assert paid.headers["Location"] == f"{runtime['api']}/#/account?checkout=paid&session={checkout['id']}"
    sub = user.get(f"{BGR}/subscription")["subscription"]
    assert (sub["plan"], sub["status"], sub["provider"], sub["usable"]) == ("pro", "active", "stripe", True)
    again = requests.post(f"{checkout['url']}/pay", allow_redirects=False, timeout=60)
    assert again.status_code == 502 and "no longer open" in again.text  # a checkout pays once
    bought = user.post("/api/credits/checkout", {"pack": "small"})["checkout"]
    assert pay(bought["url"]).status_code == 303 and user.balance() == 100
    (entry,) = user.get("/api/credits/ledger")["entries"]
    assert (entry["reason"], entry["reference"], entry["actor"]) == ("pack_purchase", bought["id"], "payment")
    cancelled = user.request("DELETE", f"{BGR}/subscription", json={"reason": "e2e"})["subscription"]
    assert cancelled["plan"] == "pro"  # the provider's confirmation is what records it:
    sub = user.get(f"{BGR}/subscription")["subscription"]
    assert (sub["status"], sub["usable"], sub["cancelReason"]) == ("cancelled", True, "e2e")
    forged = requests.post(
        f"{runtime['api']}/api/payments/stripe/webhook",
        data=json.dumps({"id": "evt_forged", "type": "invoice.paid"}),
        headers={"Stripe-Signature": "t=1,v1=00"},
        timeout=30,
    )
    assert forged.status_code == 400 and forged.json()["error"]["code"] == "INVALID_SIGNATURE"


def test_admin_grants_add_credits_and_only_admins_may(runtime):
    user_id, user = new_user(runtime)
    granted = client(runtime, "e2e-admin", admin=True).grant(user_id, 40, "e2e")
    assert granted["balance"] == 40 and granted["entry"]["delta"] == 40
    with pytest.raises(ApiError) as refused:
        user.grant(user_id, 1000, "self-service")
    assert refused.value.status == 403
    assert user.balance() == 40


def test_a_user_without_credits_is_refused_with_402_and_no_job(runtime, images):
    _, user = new_user(runtime)
    with pytest.raises(ApiError) as refused:
        user.remove(images[0], "basic")
    assert refused.value.status == 402 and refused.value.code == "INSUFFICIENT_CREDITS"
    assert user.jobs() == []


def test_a_single_removal_through_presigned_upload_queue_and_inference(runtime, images, tmp_path):
    _, user = new_user(runtime, credits=10)
    job = user.wait_job(user.remove(images[0], "basic")["id"], timeout_s=60)
    assert job["status"] == "completed", job
    assert job["creditsUsed"] == 3 and job["pricingType"] == "credit" and job["modelName"] == "u2netp"
    assert_cutout(download(job["resultUrl"], tmp_path / "cutout.png").read_bytes(), (451, 300))
    assert [j["id"] for j in user.jobs()] == [job["id"]]
    assert user.balance() == 7


def test_a_batch_ends_in_one_zip(runtime, images, tmp_path):
    _, user = new_user(runtime, credits=10)
    created = user.create_batch(images, "basic")
    assert created["batch"]["finalPrice"] == 6
    for item, image in zip(created["uploads"], images, strict=True):
        upload(item, image)
    batch = user.wait_batch(created["batch"]["id"], timeout_s=90, on_poll=lambda _: None)
    assert batch["status"] == "completed" and batch["processedImages"] == 2, batch
    with zipfile.ZipFile(download(batch["zipUrl"], tmp_path / "batch.zip")) as archive:
        pngs = sorted(n for n in archive.namelist() if n.endswith(".png"))
        assert pngs == ["chelsea.png", "coffee.png"]
        assert_cutout(archive.read("coffee.png"), (600, 400))


def test_a_file_dropped_in_the_drop_folder_becomes_a_job(runtime, images):
    user_id, user = new_user(runtime, credits=10)
    s3 = boto3.client("s3", endpoint_url=runtime["s3"], region_name=LOCAL.region)
    s3.upload_file(str(images[1]), runtime["bucket"], f"drop/{user_id}/basic/dropped.jpg")
    deadline = time.monotonic() + 60
    while not (listed := user.jobs()):
        assert time.monotonic() < deadline, "no job for the dropped file"
        time.sleep(0.3)
    job = user.wait_job(listed[0]["id"], timeout_s=60)
    assert job["status"] == "completed" and job["tier"] == "basic" and job["creditsUsed"] == 3, job
    assert_cutout(requests.get(job["resultUrl"], timeout=30).content, (600, 400))


def test_a_message_that_keeps_failing_is_dead_lettered_and_refunded(tmp_path):
    """The ingest worker leaves a failing record on the queue; after maxReceiveCount SQS moves it
    to the DLQ, whose worker fails the job and refunds it (visibility shortened to 1 s)."""
    with serving(tmp_path / "serve.log", SECRET, BGR_LOCAL_VISIBILITY_TIMEOUT="1") as runtime:
        user_id, user = new_user(runtime, credits=10)
        sqs = boto3.client("sqs", endpoint_url=runtime["s3"], region_name=LOCAL.region)
        queue = sqs.get_queue_url(QueueName=LOCAL.name("IngestQueue"))
        # What S3 would send for a drop whose object is gone by the time it is read: every try fails.
        record = {
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "s3": {
                "bucket": {"name": runtime["bucket"]},
                "object": {"key": f"drop/{user_id}/basic/gone.jpg"},
            },
        }
        sqs.send_message(QueueUrl=queue["QueueUrl"], MessageBody=json.dumps({"Records": [record]}))
        deadline = time.monotonic() + 45
        while not ((jobs := user.jobs()) and jobs[0]["status"] == "failed"):
            assert time.monotonic() < deadline, jobs
            time.sleep(0.5)
        assert jobs[0]["creditsUsed"] == 3 and user.balance() == 10


def test_an_in_request_upload_can_wait_for_its_cutout(runtime, images):
    user_id, user = new_user(runtime, credits=10)
    token = tokens.sign(user_id, (), secret=SECRET.encode())
    with images[1].open("rb") as photo:
        response = requests.post(
            f"{runtime['api']}{BGR}/remove",
            params={"wait": "20"},
            headers={"Authorization": f"Bearer {token}"},
            files={"image": ("coffee.jpg", photo, "image/jpeg")},
            data={"tier": "basic"},
            timeout=60,
        )
    assert response.status_code == 200 and response.headers["X-Credits-Charged"] == "3", response.text
    job = response.json()["job"]
    assert job["status"] == "completed" and job["modelName"] == "u2netp", job
    assert_cutout(requests.get(job["resultUrl"], timeout=30).content, (600, 400))
    assert user.balance() == 7


def bearer(user_id: str) -> dict:
    return {"Authorization": f"Bearer {tokens.sign(user_id, (), secret=SECRET.encode())}"}


def test_a_waited_cutout_comes_back_as_the_bytes_the_accept_header_asks_for(runtime, images):
    user_id, user = new_user(runtime, credits=10)
    with images[1].open("rb") as photo:
        response = requests.post(
            f"{runtime['api']}{BGR}/remove",
            params={"wait": "20"},
            headers={**bearer(user_id), "Accept": "image/png"},
            files={"image": ("coffee.jpg", photo, "image/jpeg")},
            data={"tier": "basic", "crop": "false"},
            timeout=60,
        )
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png", response.text
    assert response.headers["X-Width"] == "600" and response.headers["X-Credits-Charged"] == "3"
    assert_cutout(response.content, (600, 400))
    assert user.jobs()[0]["id"] == response.headers["X-Job-Id"] and user.balance() == 7


def test_the_quote_is_public_and_a_valid_token_adds_subscription_cover(runtime):
    user_id, user = new_user(runtime)
    subscribe_paid(user, "starter")
    url, body = f"{runtime['api']}{BGR}/pricing/quote", {"tier": "basic", "imageCount": 60}
    anonymous = requests.post(url, json=body, timeout=30).json()["quote"]
    covered = requests.post(url, json=body, headers=bearer(user_id), timeout=30).json()["quote"]
    assert anonymous["coveredBySubscription"] == 0 and covered["coveredBySubscription"] == 50
    forged = {"Authorization": f"Bearer {tokens.sign(user_id, (), secret=b'forged')}"}
    assert requests.post(url, json=body, headers=forged, timeout=30).status_code == 401


def test_a_job_with_a_callback_url_is_announced_signed(runtime, images, tmp_path):
    """The local runtime was started allowing http callbacks to loopback (template parameters
    WebhookAllowHttp, OutboundAllowNetworks): the webhook worker POSTs the finished job to a local
    receiver."""
    received = []

    class Receiver(QuietHandler):
        def do_POST(self):
            received.append((dict(self.headers), self.body()))
            self.answer(200)

    with http_server(Receiver) as server:
        user_id, user = new_user(runtime, credits=10)
        callback = f"{base_url(server)}/hook"
        with images[0].open("rb") as photo:
            response = requests.post(
                f"{runtime['api']}{BGR}/remove",
                headers=bearer(user_id),
                files={"image": ("chelsea.jpg", photo, "image/jpeg")},
                data={"tier": "basic", "callbackUrl": callback},
                timeout=60,
            )
        assert response.status_code == 202, response.text
        deadline = time.monotonic() + 60
        while not received:
            assert time.monotonic() < deadline, "no webhook delivery"
            time.sleep(0.3)
    secret = user.get("/api/webhooks/secret")["secret"]
    headers, body = received[0]
    assert webhooks.verify(secret, body, headers["X-BGR-Signature"], now=time.time())
    assert json.loads(body)["job"]["status"] == "completed" and len(received) == 1
    job = user.job(response.json()["job"]["id"])
    assert job["webhook"]["status"] == "delivered" and job["webhook"]["attempts"] == 1


def test_the_openapi_document_is_the_api(runtime, tmp_path):
    """A bounded schemathesis run against the running API, with a token: every response's status,
    content type and body as documented, and no server error."""
    user_id, _ = new_user(runtime)
    schemathesis = Path(sys.executable).parent / "schemathesis"
    command = [
        str(schemathesis),
        "run",
        f"{runtime['api']}/api/openapi.json",
        "--url",
        runtime["api"],
        "--header",
        f"Authorization: {bearer(user_id)['Authorization']}",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        "10",
        "--seed",
        "20261122",
    ]
    run = subprocess.run(  # in tmp_path: schemathesis keeps a cache where it runs
        command,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )
    summary = run.stdout[run.stdout.rfind("SUMMARY") :]
    print(summary)
    assert run.returncode == 0, run.stdout[-6000:]
    assert re.search(r"Tested: (\d+)", summary).group(1) == re.search(r"Selected: \d+/(\d+)", summary).group(
        1
    )
