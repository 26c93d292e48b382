"""The MCP server at POST /mcp through `python -m bgr_local serve`, driven by the official MCP SDK's
own client (streamable HTTP) with an API key, as an agent would use it: the tools listed, a quote,
removals within and over max_credits, a file through create_upload, a 3-image batch to its ZIP,
and the refusals (a bad key, another user's upload, an empty balance) charging nothing."""

import asyncio
import io
import time
import uuid
import zipfile

import pytest
import requests
from e2e.test_local_runtime import SECRET, assert_cutout, serving
from e2e.test_removebg_client import balance, bearer, new_key
from mcp import MCPError
from mcp.types import INTERNAL_ERROR
from PIL import Image
from skimage import data

from bgr_cli.client import upload
from bgr_local.mcp_demo import connect
from http_stub import QuietHandler, base_url, http_server

pytestmark = pytest.mark.slow
TIERS = ("basic", "standard", "professional", "industry")
TOOLS = {"quote", "remove_background", "create_upload", "start_batch", "batch_status", "balance", "list_jobs"}
BATCH_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    # image_url fetches refuse loopback unless allowed explicitly: the image server below is local
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with serving(
        log,
        SECRET,
        "--parameter",
        'OutboundAllowNetworks=["127.0.0.0/8"]',
        "--parameter",
        'OutboundAllowPorts=["1024-65535"]',
    ) as urls:
        yield urls


def jpeg(name: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(getattr(data, name)()).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


IMAGES = {f"/{name}.jpg": jpeg(name) for name in ("chelsea", "coffee", "astronaut")}


@pytest.fixture(scope="module")
def images():
    class Handler(QuietHandler):
        def do_GET(self):
            if self.path in IMAGES:
                self.answer(200, IMAGES[self.path], {"Content-Type": "image/jpeg"})
            else:
                self.answer(200, b"plain text, not an image", {"Content-Type": "image/jpeg"})

    with http_server(Handler) as server:
        yield base_url(server)


def session(runtime, key, steps):
    """Runs `await steps(client)` in one MCP session with `key`; its result."""

    async def main():
        async with connect(runtime["api"], key) as client:
            return await steps(client)

    return asyncio.run(main())


async def call(client, tool: str, **arguments) -> tuple[bool, dict]:
    result = await client.call_tool(tool, arguments)
    assert len(result.content) == 1 and result.content[0].type == "text"  # never an inline image
    return result.is_error, result.structured_content


def refused(outcome: tuple[bool, dict], code: str) -> dict:
    is_error, content = outcome
    assert is_error, content
    assert content["error"]["code"] == code, content
    return content["error"]


def failed_exchange(error: MCPError) -> bool:
    return error.error.code == INTERNAL_ERROR and error.error.message == "Server returned an error response"


def test_the_tools_are_listed_with_schemas_an_agent_can_act_on(runtime):
    _, key = new_key(runtime, credits=0)
    listed = session(runtime, key, lambda client: client.list_tools())
    tools = {tool.name: tool for tool in listed.tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.input_schema["type"] == "object" and tool.output_schema["type"] == "object"
        assert len(tool.description) > 60 and "\n" not in tool.description
    removal = tools["remove_background"].input_schema
    assert {"image_url", "upload_id", "tier", "options", "max_credits"} <= set(removal["properties"])
    assert removal["required"] == ["tier"]
    assert removal["properties"]["tier"]["enum"] == list(TIERS)
    assert tools["quote"].annotations.read_only_hint and not tools["start_batch"].annotations.read_only_hint


def test_a_quote_is_free_and_says_what_the_balance_pays(runtime):
    user_id, key = new_key(runtime, credits=10)

    async def steps(client):
        return await call(client, "quote", tier="basic", image_count=3), await call(client, "balance")

    (quote_error, quote), (_, account) = session(runtime, key, steps)
    assert not quote_error
    assert quote["quote"]["finalPrice"] == 9 and quote["quote"]["creditsToCharge"] == 9
    assert quote["balance"] == 10 and quote["affordable"] is True
    assert account == {"balance": 10, "quotaLeftToday": dict.fromkeys(TIERS, 0), "test": False}
    assert balance(runtime, user_id) == 10


def test_a_removal_over_max_credits_is_refused_uncharged_and_one_within_it_links_to_its_cutout(
    runtime, images
):
    user_id, key = new_key(runtime, credits=10)
    url = f"{images}/chelsea.jpg"

    async def steps(client):
        over = await call(client, "remove_background", tier="basic", image_url=url, max_credits=2)
        jobs_after_refusal = await call(client, "list_jobs")
        within = await call(client, "remove_background", tier="basic", image_url=url, max_credits=3)
        return over, jobs_after_refusal, within

    over, (_, listed), (within_error, removal) = session(runtime, key, steps)
    error = refused(over, "MAX_CREDITS_EXCEEDED")
    assert error["price"] == 3 and error["maxCredits"] == 2 and "nothing was charged" in error["message"]
    assert listed["jobs"] == []  # the refusal wrote no job

    assert not within_error, removal
    assert removal["job"]["status"] == "completed" and removal["job"]["source"] == "mcp"
    assert removal["creditsCharged"] == 3 and removal["contentType"] == "image/png"
    cutout = requests.get(removal["resultUrl"], timeout=30).content
    assert len(cutout) == removal["resultBytes"]
    assert_cutout(cutout, Image.open(io.BytesIO(IMAGES["/chelsea.jpg"])).size)
    box = removal["foreground"]
    assert 0 < box["width"] <= removal["width"] and 0 < box["height"] <= removal["height"]
    assert balance(runtime, user_id) == 10 - 3


def test_a_test_key_removes_free_at_preview_size_and_its_job_says_test(runtime, images):
    user_id, key = new_key(runtime, credits=0, test=True)
    url = f"{images}/astronaut.jpg"  # 512x512: more than a preview's 250 000 pixels

    async def steps(client):
        quoted = await call(client, "quote", tier="basic", image_count=1)
        removal = await call(client, "remove_background", tier="basic", image_url=url, max_credits=0)
        batch = await call(client, "start_batch", tier="basic", image_urls=[url])
        return quoted, removal, batch, await call(client, "list_jobs")

    (_, quoted), (removal_error, removal), batch, (_, listed) = session(runtime, key, steps)
    assert (quoted["test"], quoted["affordable"], quoted["balance"]) == (True, True, 0)
    assert not removal_error, removal
    assert removal["creditsCharged"] == 0 and removal["job"]["test"] is True
    assert removal["job"]["pricingType"] == "test"
    assert removal["width"] * removal["height"] <= 250_000
    cutout = Image.open(io.BytesIO(requests.get(removal["resultUrl"], timeout=30).content))
    assert cutout.size == (removal["width"], removal["height"])
    refused(batch, "FORBIDDEN")
    assert [job["test"] for job in listed["jobs"]] == [True]
    assert balance(runtime, user_id) == 0


def test_a_file_goes_up_through_create_upload_and_only_its_owner_can_use_it(runtime, tmp_path):
    user_id, key = new_key(runtime, credits=3)
    _, other_key = new_key(runtime, credits=10)
    photo = tmp_path / "coffee.jpg"
    photo.write_bytes(IMAGES["/coffee.jpg"])

    async def create(client):
        return await call(
            client,
            "create_upload",
            filename="coffee.jpg",
            content_type="image/jpeg",
            size_bytes=len(photo.read_bytes()),
        )

    _, form = session(runtime, key, create)
    upload(form, photo)
    upload_id = form["uploadId"]

    async def someone_else(client):
        return await call(client, "remove_background", tier="basic", upload_id=upload_id)

    refused(session(runtime, other_key, someone_else), "NOT_FOUND")

    async def mine(client):
        webp = {"format": "webp", "crop": True}
        return await call(
            client, "remove_background", tier="basic", upload_id=upload_id, options=webp, max_credits=3
        )

    is_error, removal = session(runtime, key, mine)
    assert not is_error, removal
    assert removal["job"]["filename"] == "coffee.jpg" and removal["contentType"] == "image/webp"
    cutout = Image.open(io.BytesIO(requests.get(removal["resultUrl"], timeout=30).content))
    assert cutout.format == "WEBP" and cutout.mode == "RGBA"
    box = removal["foreground"]  # cropped to the subject: the box is the whole result
    assert cutout.size == (removal["width"], removal["height"]) == (box["width"], box["height"])
    assert balance(runtime, user_id) == 0

    async def broke(client):  # the balance is spent: the API's 402, as a tool error
        return await call(client, "remove_background", tier="basic", upload_id=upload_id)

    refused(session(runtime, key, broke), "INSUFFICIENT_CREDITS")


def test_a_three_image_batch_ends_in_its_zip(runtime, images):
    user_id, key = new_key(runtime, credits=20)
    urls = [f"{images}{path}" for path in IMAGES]

    async def steps(client):
        over = await call(client, "start_batch", tier="basic", image_urls=urls, max_credits=8)
        not_an_image = await call(
            client, "start_batch", tier="basic", image_urls=[*urls[:2], f"{images}/x.jpg"]
        )
        is_error, started = await call(client, "start_batch", tier="basic", image_urls=urls, max_credits=9)
        assert not is_error, started
        deadline = time.monotonic() + BATCH_TIMEOUT_S
        while True:
            _, status = await call(client, "batch_status", batch_id=started["batch"]["id"])
            if status["finished"] or time.monotonic() > deadline:
                return over, not_an_image, started, status
            await asyncio.sleep(0.5)

    over, not_an_image, started, status = session(runtime, key, steps)
    refused(over, "MAX_CREDITS_EXCEEDED")
    refused(not_an_image, "UNSUPPORTED_MEDIA_TYPE")
    assert started["creditsCharged"] == 9 and started["batch"]["totalImages"] == 3
    assert status["finished"], status
    assert status["batch"]["status"] == "completed" and status["failures"] == []
    archive = zipfile.ZipFile(io.BytesIO(requests.get(status["batch"]["zipUrl"], timeout=30).content))
    pngs = sorted(name for name in archive.namelist() if name.endswith(".png"))
    assert pngs == ["astronaut.png", "chelsea.png", "coffee.png"]
    for name in pngs:
        assert_cutout(archive.read(name), Image.open(io.BytesIO(IMAGES[f"/{name[:-4]}.jpg"])).size)
    assert balance(runtime, user_id) == 20 - 9


def test_a_missing_or_revoked_key_is_a_401_and_charges_nothing(runtime, images):
    user_id, key = new_key(runtime, credits=10)
    api = runtime["api"]
    revoked = requests.get(f"{api}/api/keys", headers=bearer(user_id), timeout=30).json()["apiKeys"][0]
    assert (
        requests.delete(f"{api}/api/keys/{revoked['id']}", headers=bearer(user_id), timeout=30).status_code
        == 204
    )
    call_tool = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {
            "name": "remove_background",
            "arguments": {"tier": "basic", "image_url": f"{images}/chelsea.jpg"},
        },
    }
    accept = {"Accept": "application/json, text/event-stream"}
    for headers in ({}, {"X-Api-Key": key}, {"X-Api-Key": f"bgr_{uuid.uuid4().hex}"}):
        reply = requests.post(f"{api}/mcp", json=call_tool, headers={**accept, **headers}, timeout=30)
        assert reply.status_code == 401, (headers, reply.text)
    for bad in (None, key):  # the SDK's client reports the 401 as its error for a failed HTTP exchange
        with pytest.RaisesGroup(pytest.RaisesExc(MCPError, check=failed_exchange), flatten_subgroups=True):
            session(runtime, bad, lambda client: client.list_tools())
    assert balance(runtime, user_id) == 10
