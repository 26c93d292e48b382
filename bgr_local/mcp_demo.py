"""`make mcp-demo`: an agent's session with the MCP server, driven by the official MCP SDK's own
client against a local runtime and printed as a transcript: the tools listed, a quote, a removal
refused over its max_credits (nothing charged), a removal, and a 3-image batch to its ZIP; then
a test key's removal (free, preview size, watermarked). The images go up through `create_upload`
(an agent's files), the results come back as links."""

import asyncio
import json
import time
import zipfile
from contextlib import asynccontextmanager
from pathlib import Path

import httpx2
import requests
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from bgr_cli.client import download, upload

from . import tokens
from .demo import write_samples
from .runtime import LocalRuntime

USER, ADMIN = "mcp-agent", "demo-admin"
GRANT = 30
BATCH_TIMEOUT_S = 600


@asynccontextmanager
async def connect(api_url: str, key: str | None):
    """The SDK's client on POST /mcp, sending the key as X-Api-Key (on the HTTP client the SDK's
    transport is given: how its streamable_http_client takes headers)."""
    headers = {"X-Api-Key": key} if key else {}
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=120))
    async with http, Client(streamable_http_client(f"{api_url}/mcp", http_client=http)) as client:
        yield client


async def call(client: Client, tool: str, arguments: dict, show=print) -> tuple[bool, dict]:
    """(is_error, structured content) of one tool call, shown as the transcript's two lines."""
    show(f"\n> tools/call {tool} {json.dumps(arguments)}")
    result = await client.call_tool(tool, arguments)
    content = result.structured_content or json.loads(result.content[0].text)
    shown = content if result.is_error else _brief(tool, content)
    show(f"< {'ERROR ' if result.is_error else ''}{_short(shown)}")
    return result.is_error, content


def _pick(record: dict, *names: str) -> dict:
    return {name: record[name] for name in names if record.get(name) is not None}


def _brief(tool: str, content: dict) -> dict:
    """The fields of a tool's answer that the transcript shows (the rest are in the schema)."""
    batch = ("id", "status", "totalImages", "processedImages", "failedImages", "finalPrice", "zipUrl")
    if tool == "remove_background":
        fields = (
            "creditsCharged",
            "resultUrl",
            "resultBytes",
            "contentType",
            "width",
            "height",
            "foreground",
        )
        return {
            "job": _pick(content["job"], "id", "status", "test", "modelName", "processingTime"),
            **_pick(content, *fields),
        }
    if tool == "create_upload":
        return {**_pick(content, "uploadId", "url", "expiresAt"), "fields": sorted(content["fields"])}
    if tool == "start_batch":
        return {
            "batch": _pick(content["batch"], *batch, "discountPercentage"),
            **_pick(content, "creditsCharged"),
        }
    if tool == "batch_status":
        return {
            "batch": _pick(content["batch"], *batch, "progressPercentage"),
            **_pick(content, "finished", "failures"),
        }
    if tool == "list_jobs":
        jobs = [_pick(job, "id", "status", "tier", "source", "creditsUsed") for job in content["jobs"]]
        return {"jobs": jobs, "nextCursor": content["nextCursor"]}
    return content


def _short(value, width: int = 72) -> str:
    """JSON with long strings (presigned URLs) cut to `width` characters."""

    def cut(v):
        if isinstance(v, dict):
            return {k: cut(x) for k, x in v.items() if x is not None}
        if isinstance(v, list):
            return [cut(x) for x in v]
        return v[:width] + "…" if isinstance(v, str) and len(v) > width else v

    return json.dumps(cut(value))


async def session(api_url: str, key: str, images: list[Path], out: Path) -> None:
    async with connect(api_url, key) as client:
        listed = await client.list_tools()
        print(f"> tools/list\n< {len(listed.tools)} tools:")
        for tool in listed.tools:
            print(f"    {tool.name}({', '.join(tool.input_schema['properties'])}): {tool.description[:90]}…")

        await call(client, "balance", {})
        await call(client, "quote", {"tier": "standard", "image_count": 1})
        upload_ids = []
        for image in images:
            _, form = await call(
                client,
                "create_upload",
                {"filename": image.name, "content_type": "image/jpeg", "size_bytes": image.stat().st_size},
            )
            upload(form, image)
            print(f"  (uploaded {image.name}, {image.stat().st_size} bytes, to the form's url)")
            upload_ids.append(form["uploadId"])
        removal = {"tier": "standard", "upload_id": upload_ids[0]}
        await call(client, "remove_background", {**removal, "max_credits": 5})
        await call(client, "balance", {})
        _, done = await call(client, "remove_background", {**removal, "max_credits": 8})
        cutout = download(done["resultUrl"], out / f"mcp-{Path(images[0]).stem}.png")
        print(f"  (downloaded resultUrl: {cutout}, {cutout.stat().st_size} bytes)")

        await call(client, "quote", {"tier": "basic", "image_count": 3})
        _, started = await call(
            client, "start_batch", {"tier": "basic", "upload_ids": upload_ids, "max_credits": 9}
        )
        batch_id, deadline, shown = started["batch"]["id"], time.monotonic() + BATCH_TIMEOUT_S, None
        while True:
            _, status = await call(client, "batch_status", {"batch_id": batch_id}, show=lambda _: None)
            progress = (status["batch"]["status"], status["batch"]["processedImages"], status["finished"])
            if progress != shown:
                brief = _short(_brief("batch_status", status))
                print(f"\n> tools/call batch_status {json.dumps({'batch_id': batch_id})}\n< {brief}")
                shown = progress
            if status["finished"] or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        archive = download(status["batch"]["zipUrl"], out / f"mcp-batch-{batch_id}.zip")
        print(f"  (downloaded zipUrl: {archive}: {', '.join(zipfile.ZipFile(archive).namelist())})")
        await call(client, "list_jobs", {"limit": 5})
        await call(client, "balance", {})


async def sandbox(api_url: str, key: str, image: Path, out: Path) -> None:
    """A test key's session: the removal is free, at preview size and watermarked; no batches."""
    print(f"\nWith a test key ({key[:12]}…):")
    async with connect(api_url, key) as client:
        await call(client, "quote", {"tier": "standard", "image_count": 1})
        _, form = await call(
            client,
            "create_upload",
            {"filename": image.name, "content_type": "image/jpeg", "size_bytes": image.stat().st_size},
        )
        upload(form, image)
        _, done = await call(client, "remove_background", {"tier": "standard", "upload_id": form["uploadId"]})
        cutout = download(done["resultUrl"], out / f"mcp-test-{image.stem}.png")
        print(f"  (downloaded resultUrl: {cutout}, {cutout.stat().st_size} bytes)")
        await call(client, "start_batch", {"tier": "basic", "upload_ids": [form["uploadId"]]})
        await call(client, "balance", {})


def run(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    images = write_samples(out / "samples")
    print("Starting the local runtime (moto for AWS, the template's resources, the real handlers)…")
    with LocalRuntime(api_port=0, s3_port=0, log_level="WARNING") as runtime:
        secret = tokens.local_secret()
        api = runtime.api.url

        def rest(method: str, path: str, user: str, admin: bool = False, **body) -> dict:
            token = tokens.sign(user, ("admin",) if admin else (), secret=secret)
            reply = requests.request(
                method, api + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            reply.raise_for_status()
            return reply.json()

        rest("POST", f"/api/admin/users/{USER}/credits", ADMIN, admin=True, amount=GRANT, reason="mcp demo")
        key = rest("POST", "/api/keys", USER, name="mcp demo")["key"]
        print(f"  API {api}; user {USER} granted {GRANT} credits, API key {key[:12]}…\n")
        asyncio.run(session(api, key, images, out))
        test_key = rest("POST", "/api/keys", USER, name="mcp demo sandbox", test=True)["key"]
        asyncio.run(sandbox(api, test_key, images[0], out))
