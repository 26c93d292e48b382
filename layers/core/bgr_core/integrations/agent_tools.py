"""What the MCP server's tools do (bgr_core.integrations.mcp_server registers them): each is the
REST API's own domain calls for the same thing (the same charge, ledger and refunds), answered in
the API's shapes, with presigned links instead of image bytes. A `max_credits` cap is checked on
the quote first (refused before an image is fetched) and again inside the charge itself, so no
concurrent use of the quota or balance can make a call spend more than the caller allowed.
The caller is the API key's identity, as on the REST API: a test key's removals are free, at
preview size and watermarked, and it starts no batches (they need a live key)."""

import posixpath
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from urllib.parse import urlsplit

from pydantic import Field

from bgr_core.api.identity import Identity
from bgr_core.api.uploads import sniff
from bgr_core.api.views import BatchItemView, BatchView, JobList, JobView, Quote
from bgr_core.integrations import guarded_http, removebg_request, staged_uploads
from bgr_core.money import charge_decision, credits, job_charges, quotes, subscriptions
from bgr_core.money.pricing import MAX_BATCH_IMAGES, TIERS
from bgr_core.platform import features, storage
from bgr_core.platform.contract import Schema
from bgr_core.platform.errors import BadRequest, Forbidden, InvalidImage, UnsupportedMedia
from bgr_core.work import batches, inline_removals, jobs
from bgr_core.work.output_options import OutputOptions
from bgr_core.work.status import BATCH_FINAL, BATCH_ZIPPED, ZIP_FINAL, ItemStatus

SOURCE = "mcp"  # the jobs' and batches' source, as `api` is the REST API's
MAX_BATCH_URLS = 20  # fetched in the request (10 s each at most, in parallel), within API Gateway's 29 s
MAX_BATCH_UPLOADS = 100
FETCHERS = 8
TEST_KEY = "a test key: its removals are free (preview size, watermarked); the prices are a live key's"


# -- shapes ---------------------------------------------------------------------------------
class QuoteResult(Schema):
    quote: Quote
    balance: int = Field(description="your credit balance now")
    affordable: bool = Field(description="the balance pays quote.creditsToCharge (always, for a test key)")
    test: bool = Field(False, description=TEST_KEY)


class Box(Schema):
    left: int
    top: int
    width: int
    height: int


class Removal(Schema):
    job: JobView
    credits_charged: int = Field(description="0 when today's subscription quota paid for it")
    result_url: str = Field(description="the cutout: a presigned download, valid for an hour")
    result_bytes: int = Field(description="the cutout's size")
    content_type: str
    width: int = Field(description="the cutout's width in pixels")
    height: int
    foreground: Box | None = Field(description="the subject's box in the cutout; null when none was found")


class UploadForm(Schema):
    upload_id: str = Field(description="pass it to remove_background or start_batch once uploaded")
    url: str = Field(description="POST multipart/form-data here: every field, then the file as `file`")
    fields: dict[str, str]
    expires_at: str = Field(description="the form is refused after this")


class BatchStarted(Schema):
    batch: BatchView
    credits_charged: int = Field(description="charged now, for every image; failed images are refunded")


class BatchProgress(Schema):
    batch: BatchView
    finished: bool = Field(description="every image settled, and the ZIP (batch.zipUrl) ready or failed")
    failures: list[BatchItemView] = Field(description="the images that failed (refunded), with why")


class AccountBalance(Schema):
    balance: int
    quota_left_today: dict[str, int] = Field(
        description="per tier, the images today's subscription quota still covers (0 without one)"
    )
    test: bool = Field(False, description=TEST_KEY)


# -- tools ----------------------------------------------------------------------------------
def quote(caller: Identity, tier: str, image_count: int) -> QuoteResult:
    plan = quotes.quote(caller.user_id, tier, image_count)
    balance = credits.balance(caller.user_id)
    return QuoteResult(
        quote=Quote.of(plan),
        balance=balance,
        affordable=caller.test or plan.credits <= balance,
        test=caller.test,
    )


def within_budget(user_id: str, tier: str, image_count: int, max_credits: int | None) -> None:
    """OverBudget now, before anything is fetched, when the price already exceeds the cap."""
    if tier not in TIERS:
        raise BadRequest(f"unknown tier {tier!r}; tiers: {', '.join(TIERS)}")
    job_charges.check_budget(quotes.quote(user_id, tier, image_count), max_credits)


def remove_background(
    caller: Identity,
    tier: str,
    *,
    image_url: str | None = None,
    upload_id: str | None = None,
    options: OutputOptions | None = None,
    max_credits: int | None = None,
) -> Removal:
    """One image cut out now (a direct invoke, as remove.bg's API does), charged like any single
    image (a test key's: free, at preview size, watermarked); a cutout that fails is refunded and
    raised."""
    _one_of(image_url=image_url, upload_id=upload_id)
    user_id, options = caller.user_id, options or OutputOptions()
    if caller.test:
        options = removebg_request.sandbox_options(options)
    else:
        within_budget(user_id, tier, 1, max_credits)
    if image_url:
        filename, data = _filename(image_url), _fetch(image_url)
    else:
        staged = staged_uploads.find(user_id, upload_id)
        filename, data = staged.filename, staged_uploads.read(staged)
    image = inline_removals.Image(filename, data, _image_type(data))
    removal = inline_removals.start(
        user_id, image, tier, options, now=True, test=caller.test, source=SOURCE, max_credits=max_credits
    )
    job, done = removal.job, removal.answer
    if done.status != "completed":  # failed, and refunded
        raise InvalidImage(
            done.error_code or "PROCESSING_FAILED", f"{done.error_message}; nothing was charged"
        )
    box = (
        dict(zip(("left", "top", "width", "height"), done.foreground, strict=True))
        if done.foreground
        else None
    )
    return Removal(
        job=JobView.of(job),
        credits_charged=int(job.credits_used),
        result_url=storage.presigned_download(
            done.result_key, f"{posixpath.splitext(job.filename)[0]}.{job.options.format}"
        ),
        result_bytes=len(done.image) if done.image is not None else storage.object_size(done.result_key),
        content_type=job.options.media_type,
        width=done.width,
        height=done.height,
        foreground=box,
    )


def create_upload(caller: Identity, filename: str, content_type: str, size_bytes: int) -> UploadForm:
    form = staged_uploads.create(caller.user_id, filename, content_type, size_bytes)
    return UploadForm.model_validate(form)


def start_batch(
    caller: Identity,
    tier: str,
    *,
    image_urls: list[str] | None = None,
    upload_ids: list[str] | None = None,
    options: OutputOptions | None = None,
    max_credits: int | None = None,
) -> BatchStarted:
    """A batch of images by URL (fetched now) or upload id, charged up front at its volume
    discount; each original is then stored under the batch, which queues it, and the ZIP follows
    the last image. Images that cannot be stored are refunded."""
    features.require("batch")
    if caller.test:  # as on the REST API, where a test key authorizes /v1.0/removebg only
        raise Forbidden("a test key runs single removals (remove_background) free; batches need a live key")
    user_id = caller.user_id
    _one_of(image_urls=image_urls, upload_ids=upload_ids)
    sources = image_urls or upload_ids
    limit = MAX_BATCH_URLS if image_urls else min(MAX_BATCH_UPLOADS, MAX_BATCH_IMAGES)
    if not 1 <= len(sources) <= limit:
        kind = "image_urls" if image_urls else "upload_ids"
        raise BadRequest(f"{kind} holds 1-{limit} entries, not {len(sources)}")
    within_budget(user_id, tier, len(sources), max_credits)
    if image_urls:
        with ThreadPoolExecutor(FETCHERS) as pool:
            fetched = list(pool.map(_fetch, image_urls))
        kinds = [_image_type(data) for data in fetched]
        specs = [
            batches.ImageSpec(filename=_filename(url), content_type=kind, size_bytes=len(data))
            for url, kind, data in zip(image_urls, kinds, fetched, strict=True)
        ]
        stores = [partial(_store, data, kind) for data, kind in zip(fetched, kinds, strict=True)]
    else:
        staged = [staged_uploads.find(user_id, upload_id) for upload_id in upload_ids]
        specs = [
            batches.ImageSpec(filename=s.filename, content_type=s.content_type, size_bytes=s.size_bytes)
            for s in staged
        ]
        stores = [partial(batches.copy_original, s.key) for s in staged]
    batch, items = batches.create(
        user_id, tier, specs, options=options or OutputOptions(), source=SOURCE, max_credits=max_credits
    )
    batches.store_originals(batch, items, stores, "an image")
    return BatchStarted(
        batch=BatchView.of(batches.get(batch.id) or batch), credits_charged=int(batch.credits_charged)
    )


def batch_status(caller: Identity, batch_id: str) -> BatchProgress:
    batch = batches.get_for_user(caller.user_id, batch_id)
    items = batches.items(batch.id)
    zipped = batch.status not in BATCH_ZIPPED or batch.zip_status in ZIP_FINAL
    return BatchProgress(
        batch=BatchView.of(batch),
        finished=batch.status in BATCH_FINAL and zipped,
        failures=[BatchItemView.of(item) for item in items if item.status == ItemStatus.FAILED],
    )


def balance(caller: Identity) -> AccountBalance:
    sub = subscriptions.get(caller.user_id) if features.enabled("subscriptions") else None
    usage = subscriptions.quota_use(sub, subscriptions.today())
    return AccountBalance(
        balance=credits.balance(caller.user_id),
        quota_left_today={tier: charge_decision.quota_room(usage, tier) for tier in TIERS},
        test=caller.test,
    )


def list_jobs(caller: Identity, limit: int = 20, cursor: str | None = None) -> JobList:
    page, next_cursor = jobs.list_for_user(caller.user_id, limit, cursor)
    return JobList(jobs=[JobView.of(job) for job in page], next_cursor=next_cursor)


# -- helpers --------------------------------------------------------------------------------
def _one_of(**given) -> None:
    named = [name for name, value in given.items() if value]
    if len(named) != 1:
        raise BadRequest(f"give exactly one of {' or '.join(given)}")


def _fetch(url: str) -> bytes:
    """The image at a user-given URL, through the guarded outbound client."""
    fetched = guarded_http.fetch(url, guarded_http.Policy.from_settings(max_bytes=storage.MAX_IMAGE_BYTES))
    if fetched.status != 200:
        raise guarded_http.FetchFailed(f"{url} answered HTTP {fetched.status}")
    if not fetched.body:
        raise InvalidImage("EMPTY_FILE", f"{url} answered an empty body", status=400)
    return fetched.body


def _filename(url: str) -> str:
    return storage.safe_filename(posixpath.basename(urlsplit(url).path))


def _image_type(data: bytes) -> str:
    kind = sniff(data)
    if kind is None:
        raise UnsupportedMedia("the file is not a JPEG, PNG or WebP image")
    return kind


def _store(data: bytes, content_type: str, key: str) -> None:
    storage.put_image(key, data, content_type)  # sniffed above: a JPEG, PNG or WebP
