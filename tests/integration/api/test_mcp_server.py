"""The MCP function as API Gateway invokes it (events/api/mcp.json, one JSON-RPC message per
event) on moto: the caller from the authorizer's context only, the REST API's rate limits and
domain refusals as tool errors, and batches of staged uploads charged once with each original
stored under the batch, a test key's removal free at preview size and watermarked. (tests/e2e/
test_mcp.py drives it with the SDK's client against the local server.)"""

import io
import json

import boto3
import numpy as np
import pytest
from leaks import assert_leaks_nothing
from PIL import Image

from bgr_core.api import ratelimit
from bgr_core.money import credits
from bgr_core.platform.config import get_settings
from bgr_core.platform.models import Batch, Job, LedgerEntry
from bgr_local.context import LambdaContext
from bgr_local.functions import bind_to_lambda
from harness import TEMPLATE
from money import fund

BUCKET = TEMPLATE.name("ImagesBucket")


def rpc(
    api, method: str, params: dict | None = None, *, user: str | None = "user-1", mode: str = "live"
) -> dict:
    """One JSON-RPC message as API Gateway sends it, with the X-Api-Key authorizer's context."""
    event = api.event("mcp", body={"jsonrpc": "2.0", "id": 7, "method": method, "params": params or {}})
    authorizer = {"userId": user, "principalId": user, "keyId": "k1", "keyMode": mode}
    event["requestContext"]["authorizer"] = authorizer if user else None
    reply = api.send(event)
    assert reply.status == 200 and reply.headers["content-type"] == "application/json", reply.raw
    answer = reply.body
    assert answer["id"] == 7, answer
    return answer["result"]


def tool(
    api, name: str, user: str | None = "user-1", *, mode: str = "live", **arguments
) -> tuple[bool, dict]:
    result = rpc(api, "tools/call", {"name": name, "arguments": arguments}, user=user, mode=mode)
    return result.get("isError", False), result["structuredContent"]


def error_of(outcome: tuple[bool, dict]) -> dict:
    is_error, content = outcome
    assert is_error, content
    return content["error"]


def staged(api, user: str, name: str, body: bytes = b"\x89PNG", **modes) -> str:
    """An image uploaded through create_upload's form (stored where the form puts it)."""
    is_error, form = tool(
        api, "create_upload", user, filename=name, content_type="image/png", size_bytes=len(body), **modes
    )
    assert not is_error, form
    boto3.client("s3").put_object(
        Bucket=BUCKET, Key=form["fields"]["key"], Body=body, ContentType="image/png"
    )
    return form["uploadId"]


@pytest.fixture
def cutouts(api):
    """Lambda Invoke of the inference functions runs the real handler (u2netp) in this process."""
    from functions.inference import app

    def invoke(logical: str, payload: bytes) -> bytes:
        return json.dumps(app.handler(json.loads(payload), LambdaContext(logical))).encode()

    with bind_to_lambda(TEMPLATE, invoke):
        yield api


def cutout_of(removal: dict) -> Image.Image:
    job = Job.get(removal["job"]["id"])
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key=job.result_key)["Body"].read()
    assert len(body) == removal["resultBytes"]
    return Image.open(io.BytesIO(body))


def test_the_sample_event_quotes_through_the_sdk(api):
    reply = api("mcp")
    result = reply.body["result"]
    assert reply.status == 200 and result["isError"] is False
    quote = result["structuredContent"]["quote"]
    assert (quote["finalPrice"], quote["discountPercentage"], quote["creditsToCharge"]) == (228, 5, 228)
    assert json.loads(result["content"][0]["text"]) == result["structuredContent"]


def test_tools_list_gives_each_tool_its_schemas(api):
    tools = {t["name"]: t for t in rpc(api, "tools/list")["tools"]}
    assert set(tools) == {
        "quote",
        "remove_background",
        "create_upload",
        "start_batch",
        "batch_status",
        "balance",
        "list_jobs",
    }
    assert tools["start_batch"]["inputSchema"]["properties"]["max_credits"]["anyOf"][0]["minimum"] == 0
    assert "zipUrl" in json.dumps(tools["batch_status"]["outputSchema"])


def test_a_batch_of_staged_uploads_is_charged_once_and_each_original_stored_under_it(api):
    fund("user-1", 20)
    upload_ids = [staged(api, "user-1", f"{i}.png") for i in range(3)]
    assert error_of(tool(api, "start_batch", tier="basic", upload_ids=upload_ids, max_credits=8))["code"] == (
        "MAX_CREDITS_EXCEEDED"
    )
    assert list(Batch.scan()) == [] and credits.balance("user-1") == 20

    is_error, started = tool(api, "start_batch", tier="basic", upload_ids=upload_ids, max_credits=9)
    assert not is_error, started
    batch = started["batch"]
    assert started["creditsCharged"] == 9 and batch["totalImages"] == 3 and batch["source"] == "mcp"
    assert credits.balance("user-1") == 11
    s3 = boto3.client("s3")
    for index in range(3):
        key = f"batches/user-1/{batch['id']}/{index:03d}/{index}.png"
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"\x89PNG"

    _, status = tool(api, "batch_status", batch_id=batch["id"])
    assert status["finished"] is False and status["failures"] == [] and status["batch"]["zipUrl"] is None
    assert error_of(tool(api, "batch_status", "someone-else", batch_id=batch["id"]))["code"] == "NOT_FOUND"


def test_an_upload_id_is_the_callers_own_and_never_a_path(api):
    fund("intruder", 50)
    theirs = staged(api, "user-1", "private.png")
    for upload_id, code in ((theirs, "NOT_FOUND"), ("../user-1", "BAD_REQUEST"), ("", "BAD_REQUEST")):
        assert (
            error_of(tool(api, "remove_background", "intruder", tier="basic", upload_id=upload_id))["code"]
            == code
        )
        assert (
            error_of(tool(api, "start_batch", "intruder", tier="basic", upload_ids=[upload_id]))["code"]
            == code
        )
    assert credits.balance("intruder") == 50 and list(Batch.scan()) == []


def test_exactly_one_source_and_at_most_twenty_urls(api):
    fund("user-1", 500)
    urls = [f"https://example.com/{i}.jpg" for i in range(21)]
    both = {"image_urls": urls[:1], "upload_ids": ["0" * 32]}
    for arguments in ({}, both, {"image_urls": urls}, {"image_urls": []}):
        assert error_of(tool(api, "start_batch", tier="basic", **arguments))["code"] == "BAD_REQUEST", (
            arguments
        )
    assert error_of(tool(api, "remove_background", tier="basic"))["code"] == "BAD_REQUEST"
    assert credits.balance("user-1") == 500


def test_the_caller_is_only_the_authorizers_context(api):
    assert error_of(tool(api, "balance", user=None))["code"] == "UNAUTHORIZED"
    fund("user-1", 7)
    assert tool(api, "balance") == (
        False,
        {
            "balance": 7,
            "quotaLeftToday": dict.fromkeys(("basic", "standard", "professional", "industry"), 0),
            "test": False,
        },
    )


def test_tool_calls_count_in_the_rest_rate_limits(api, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_CHARGING_PER_MINUTE", "2")
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_800_000_000.0)  # one window for the whole test
    get_settings.cache_clear()
    for _ in range(2):  # refused for the missing upload, but counted
        assert (
            error_of(tool(api, "remove_background", tier="basic", upload_id="0" * 32))["code"] == "NOT_FOUND"
        )
    limited = error_of(tool(api, "remove_background", tier="basic", upload_id="0" * 32))
    assert limited["code"] == "RATE_LIMITED" and limited["retryAfterSeconds"] == 60
    assert tool(api, "quote", tier="basic", image_count=1)[0] is False  # reads are in the general window
    get_settings.cache_clear()


def test_a_bad_argument_is_a_tool_error_naming_it(api):
    result = rpc(api, "tools/call", {"name": "quote", "arguments": {"tier": "gold", "image_count": 0}})
    assert result["isError"] is True
    text = result["content"][0]["text"]
    assert "tier" in text and "image_count" in text


def test_a_missing_table_is_a_tool_error_that_does_not_name_it(api):
    table = TEMPLATE.name("SubscriptionsTable")
    boto3.client("dynamodb").delete_table(TableName=table)
    error = error_of(tool(api, "quote", tier="standard", image_count=3))
    assert error["code"] == "TABLE_MISSING"
    assert_leaks_nothing(json.dumps(error), table)


def test_a_batch_beyond_the_callers_images_in_flight_is_a_tool_error_with_its_retry(api, settings_env):
    settings_env(MAX_IMAGES_IN_FLIGHT="2")
    fund("user-1", 20)
    upload_ids = [staged(api, "user-1", f"{i}.png") for i in range(3)]
    assert error_of(tool(api, "start_batch", tier="basic", upload_ids=upload_ids))["code"] == "BAD_REQUEST"
    is_error, started = tool(api, "start_batch", tier="basic", upload_ids=upload_ids[:2])
    assert not is_error, started
    refused = error_of(tool(api, "start_batch", tier="basic", upload_ids=upload_ids[2:]))
    assert (refused["code"], refused["retryAfterSeconds"]) == ("TOO_MANY_IN_FLIGHT", 10)
    assert [b.id for b in Batch.scan() if b.sk == "BATCH"] == [started["batch"]["id"]]
    assert credits.balance("user-1") == 20 - 6


@pytest.mark.slow
def test_a_test_key_removes_free_at_preview_size_watermarked_and_starts_no_batch(cutouts, astronaut):
    fund("user-1", 2)  # less than a basic image costs: a test key needs no credits
    png = io.BytesIO()
    astronaut.save(png, "PNG")  # 512x512, more than a preview's 250 000 pixels
    upload = staged(cutouts, "user-1", "astronaut.png", png.getvalue(), mode="test")

    _, quoted = tool(cutouts, "quote", mode="test", tier="basic", image_count=1)
    assert (quoted["test"], quoted["affordable"], quoted["balance"]) == (True, True, 2)
    assert tool(cutouts, "balance", mode="test")[1]["test"] is True

    is_error, removal = tool(
        cutouts, "remove_background", mode="test", tier="basic", upload_id=upload, max_credits=0
    )
    assert not is_error, removal
    assert removal["creditsCharged"] == 0 and removal["job"]["test"] is True
    assert removal["job"]["creditsUsed"] == 0 and removal["job"]["source"] == "mcp"
    assert removal["width"] * removal["height"] <= 250_000 < 512 * 512
    assert removal["job"]["pricingType"] == "test"
    assert [entry.reason for entry in LedgerEntry.query("user-1")] == ["admin_grant"]  # the grant alone
    assert credits.balance("user-1") == 2

    fund("user-1", 10)
    live_upload = staged(cutouts, "user-1", "astronaut.png", png.getvalue())
    _, live = tool(cutouts, "remove_background", tier="basic", upload_id=live_upload)
    assert live["creditsCharged"] == 3 and live["job"]["test"] is False and live["width"] == 512
    # TEST in light rows: ink (raised alpha) where the live cutout is transparent
    test_alpha = np.asarray(cutout_of(removal).getchannel("A"), dtype=np.int16)
    live_alpha = np.asarray(
        cutout_of(live).getchannel("A").resize((removal["width"], removal["height"])), dtype=np.int16
    )
    assert ((test_alpha - live_alpha) > 60).mean() > 0.01

    before = credits.balance("user-1")
    batch_upload = staged(cutouts, "user-1", "b.png", mode="test")
    refused = error_of(tool(cutouts, "start_batch", mode="test", tier="basic", upload_ids=[batch_upload]))
    assert refused["code"] == "FORBIDDEN" and "live key" in refused["message"]
    assert credits.balance("user-1") == before and list(Batch.scan()) == []


@pytest.mark.slow
def test_remove_bg_s_options_go_through_the_tools(cutouts, astronaut):
    fund("user-1", 20)
    png = io.BytesIO()
    astronaut.save(png, "PNG")
    upload = staged(cutouts, "user-1", "astronaut.png", png.getvalue())
    corner = {"roi": "0px 0px 8px 8px", "format": "zip"}  # astronaut's top rows are background
    is_error, removal = tool(cutouts, "remove_background", tier="basic", upload_id=upload, options=corner)
    assert not is_error, removal
    assert removal["foreground"] is None and removal["contentType"] == "application/zip"
    assert Job.get(removal["job"]["id"]).result_key.endswith(".zip")

    options = {"shadowType": "drop", "shadowOpacity": 40, "scale": 50, "position": "0% 0%"}
    is_error, started = tool(cutouts, "start_batch", tier="basic", upload_ids=[upload], options=options)
    assert not is_error, started
    shown = started["batch"]["options"]
    assert {name: shown[name] for name in options} == options
    wrong = {
        "name": "start_batch",
        "arguments": {"tier": "basic", "upload_ids": [upload], "options": {"shadowType": "3D"}},
    }
    refused = rpc(cutouts, "tools/call", wrong)
    assert refused["isError"] is True and "shadowType" in refused["content"][0]["text"]
    assert credits.balance("user-1") == 20 - 3 - 3
