"""The MCP server for agents (functions/mcp): the official SDK's MCPServer with the tools of
bgr_core.integrations.agent_tools, served as streamable HTTP in stateless JSON mode at POST /mcp.

Behind API Gateway every request is one Lambda event: Mangum turns it into an ASGI request to a
fresh app (the SDK's session manager runs once per app), and the caller is only ever the
X-Api-Key authorizer's context in that event. Each tool call counts in the caller's REST rate
limits (`api`, and `charging` for the tools that charge); a refusal from the domain (402, 404,
429, ...) is an MCP tool error whose structured content is the API's `{"error": {"code",
"message"}}`. The SDK and Mangum are the MCP function's own packages (functions/mcp/requirements.txt):
only that function imports this module.
"""

import asyncio
import json
from collections.abc import Callable
from typing import Annotated, Any

from mangum import Mangum
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field
from pynamodb.exceptions import PynamoDBException

from bgr_core.api import ratelimit
from bgr_core.api.identity import Identity, identity_of
from bgr_core.api.paths import MCP
from bgr_core.api.views import JobList
from bgr_core.integrations import agent_tools
from bgr_core.integrations.agent_tools import (
    AccountBalance,
    BatchProgress,
    BatchStarted,
    QuoteResult,
    Removal,
    UploadForm,
)
from bgr_core.money.pricing import MAX_BATCH_IMAGES, TIERS, TierName
from bgr_core.platform.config import get_settings
from bgr_core.platform.dynamodb import table_missing
from bgr_core.platform.errors import DomainError, Unauthorized
from bgr_core.platform.observability import logger
from bgr_core.work.output_options import OutputOptions

_PRICES = ", ".join(f"{t.name} {t.credits}" for t in TIERS.values())
INSTRUCTIONS = (
    "Background removal with quality tiers, priced in credits. Call `quote` before spending; "
    "pass `max_credits` to `remove_background` and `start_batch` so a call never spends more "
    "than you allow (it is refused, uncharged, instead). Results are presigned links to download, "
    "never inline image data. For images you have as files, `create_upload` first."
)

server = MCPServer("background-remover-pro", instructions=INSTRUCTIONS, log_level="WARNING")

Tier = Annotated[
    TierName,
    Field(
        description=f"quality tier, credits per image: {_PRICES}; higher tiers cut finer edges (hair, fur)"
    ),
]
MaxCredits = Annotated[
    int | None,
    Field(
        ge=0, description="the most this call may charge, in credits; refused uncharged if the price is more"
    ),
]
Options = Annotated[
    OutputOptions | None,
    Field(
        description="output: format png|webp|jpg|zip (color.jpg + alpha.png), bgColor #rrggbb or "
        "bgImageUrl, crop to the subject with a margin, roi, scale, position, shadowType drop"
    ),
]
READ_ONLY = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
CHARGES = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=True)
UPLOADS = ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=False)


def tool(annotations: ToolAnnotations):
    """Registers a tool, its docstring (as one paragraph) its description."""

    def register(fn: Callable) -> Callable:
        return server.tool(description=" ".join(fn.__doc__.split()), annotations=annotations)(fn)

    return register


# -- calling the domain -----------------------------------------------------------------------
def _identity(ctx: Context) -> Identity:
    """The key's identity (its user, and whether it is a test key), from the authorizer's context
    in the API Gateway event (never the body), read as the REST API reads it."""
    request = ctx.request_context.request
    identity = identity_of((getattr(request, "scope", None) or {}).get("aws.event") or {})
    if identity is None:
        raise Unauthorized("send X-Api-Key")
    return identity


def tool_error(exc: DomainError) -> CallToolResult:
    """A refusal as an MCP tool error (the model reads it), carrying the API's code and message."""
    details = {k: v for k, v in exc.details.items() if k != "headers"}
    retry_after = (exc.details.get("headers") or {}).get("Retry-After")
    if retry_after:
        details["retryAfterSeconds"] = int(retry_after)
    error = {"code": exc.code, "message": exc.message, **details}
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps({"error": error}, default=str))],
        structured_content={"error": error},
        is_error=True,
    )


def _call(ctx: Context, run: Callable[[Identity], Any], *, charging: bool = False) -> Any:
    """`run(caller)` within the caller's rate limits; a DomainError as a tool error."""
    try:
        caller = _identity(ctx)
        settings = get_settings()
        ratelimit.take(caller.user_id, "api", settings.rate_limit_per_minute)
        if charging:
            ratelimit.take(caller.user_id, "charging", settings.rate_limit_charging_per_minute)
        return run(caller)
    except DomainError as exc:
        logger.info("tool refused", extra={"code": exc.code})
        return tool_error(exc)
    except PynamoDBException as exc:  # a missing table: TABLE_MISSING, naming none (503 in REST)
        missing = table_missing(exc)
        if missing is None:
            raise
        return tool_error(missing)


# -- tools ----------------------------------------------------------------------------------
@tool(READ_ONLY)
def quote(
    tier: Tier,
    image_count: Annotated[int, Field(ge=1, le=MAX_BATCH_IMAGES, description="how many images")],
    ctx: Context,
) -> QuoteResult:
    """What `image_count` images of `tier` would cost you now, free of charge: the list price, the
    volume discount (5% from 20 images up to 20% from 201), how many today's subscription quota
    covers, the credits left to charge (quote.creditsToCharge), your balance and whether it is
    enough. Use it before remove_background or start_batch, and pass the price as max_credits."""
    return _call(ctx, lambda caller: agent_tools.quote(caller, tier, image_count))


@tool(CHARGES)
def remove_background(
    tier: Tier,
    ctx: Context,
    image_url: Annotated[
        str | None, Field(description="a public http(s) URL of a JPEG, PNG or WebP, at most 10 MB")
    ] = None,
    upload_id: Annotated[
        str | None, Field(description="an uploadId from create_upload, once uploaded")
    ] = None,
    options: Options = None,
    max_credits: MaxCredits = None,
) -> Removal:
    """Remove one image's background now (a few seconds) and get a link to the cutout. Give
    exactly one of image_url or upload_id. Charged like any single image (today's subscription
    quota first, else the tier's credits); refused without charging when the price exceeds
    max_credits or the balance. Returns the job, creditsCharged, resultUrl (a presigned download,
    valid for an hour: fetch it, it is not inlined), its size in bytes, the image's width and
    height and the subject's box (foreground). A cutout that fails is refunded. With a test key
    (bgr_test_...) it is free, at preview size and watermarked, and its job says test: true."""
    return _call(
        ctx,
        lambda caller: agent_tools.remove_background(
            caller, tier, image_url=image_url, upload_id=upload_id, options=options, max_credits=max_credits
        ),
        charging=True,
    )


@tool(UPLOADS)
def create_upload(
    filename: Annotated[str, Field(min_length=1, max_length=255, description="the file's name")],
    content_type: Annotated[str, Field(description="image/jpeg, image/png or image/webp")],
    size_bytes: Annotated[int, Field(gt=0, description="the file's exact size; at most 10 MB")],
    ctx: Context,
) -> UploadForm:
    """A presigned form to upload an image you have as a file (no URL), free of charge: POST
    multipart/form-data to `url` with every entry of `fields` and then the file as `file`, before
    expiresAt. Then pass uploadId to remove_background or (several) to start_batch."""
    return _call(ctx, lambda caller: agent_tools.create_upload(caller, filename, content_type, size_bytes))


@tool(CHARGES)
def start_batch(
    tier: Tier,
    ctx: Context,
    image_urls: Annotated[
        list[str] | None,
        Field(description=f"1-{agent_tools.MAX_BATCH_URLS} public http(s) URLs of JPEG, PNG or WebP images"),
    ] = None,
    upload_ids: Annotated[
        list[str] | None,
        Field(description=f"1-{agent_tools.MAX_BATCH_UPLOADS} uploadIds from create_upload, once uploaded"),
    ] = None,
    options: Options = None,
    max_credits: MaxCredits = None,
) -> BatchStarted:
    """Start a batch: every image cut out in the background and all of them zipped. Give exactly
    one of image_urls or upload_ids. Charged up front at the batch's volume discount (quota
    first); refused without charging when the price exceeds max_credits or the balance; images
    that fail are refunded. Returns the batch (its id, price, creditsCharged): then poll
    batch_status every few seconds until `finished`, and download zipUrl. A test key cannot start
    one (FORBIDDEN): batches need a live key."""
    return _call(
        ctx,
        lambda caller: agent_tools.start_batch(
            caller,
            tier,
            image_urls=image_urls,
            upload_ids=upload_ids,
            options=options,
            max_credits=max_credits,
        ),
        charging=True,
    )


@tool(READ_ONLY)
def batch_status(
    batch_id: Annotated[str, Field(min_length=1, max_length=128, description="the id start_batch returned")],
    ctx: Context,
) -> BatchProgress:
    """A batch's progress: status (pending, processing, completed, partial, failed), images
    processed and failed of the total, progressPercentage, estimatedDuration in seconds, each
    failed image with its errorCode and errorMessage (refunded), and once `finished` the ZIP's
    presigned link (batch.zipUrl)."""
    return _call(ctx, lambda caller: agent_tools.batch_status(caller, batch_id))


@tool(READ_ONLY)
def balance(ctx: Context) -> AccountBalance:
    """Your credit balance and, per tier, how many images today's subscription quota still covers."""
    return _call(ctx, agent_tools.balance)


@tool(READ_ONLY)
def list_jobs(
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=100, description="jobs per page")] = 20,
    cursor: Annotated[str | None, Field(description="nextCursor of the previous page")] = None,
) -> JobList:
    """Your single removals, newest first, a page at a time: status, tier, creditsUsed, and a
    presigned resultUrl for each completed one. Pass nextCursor back for the next page."""
    return _call(ctx, lambda caller: agent_tools.list_jobs(caller, limit, cursor))


# -- serving --------------------------------------------------------------------------------
def app():
    """A new ASGI app for one request: stateless, JSON answers (no SSE stream held open). Host
    checks are off: API Gateway has chosen the API by its host already, and the key authorizes."""
    return server.streamable_http_app(
        streamable_http_path=MCP,
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )


def handle(event: dict, context) -> dict:
    """One API Gateway proxy event to its proxy result, on an event loop of its own (Mangum runs
    the calling thread's loop, and a thread has none of its own)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return Mangum(app(), lifespan="on")(event, context)
    finally:
        asyncio.set_event_loop(None)
        loop.close()
