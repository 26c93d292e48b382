"""A cutout's background image (remove.bg's `bg_image_url` / `bg_image_file`): a URL, checked when
the job or batch is made and fetched by the inference worker through the guarded outbound client;
or a file stored beside the job's original, under `direct/` (which raises no event)."""

from bgr_core.integrations import guarded_http
from bgr_core.platform import storage
from bgr_core.platform.errors import DomainError, InvalidImage
from bgr_core.work.output_options import OutputOptions

MAX_BYTES = 10 * 1024 * 1024  # remove.bg's limit for a background image
FILENAME = "background"


def _policy() -> guarded_http.Policy:
    return guarded_http.Policy.from_settings(max_bytes=MAX_BYTES)


def check(options: OutputOptions) -> None:
    """Refuses a background URL that may never be fetched (UrlNotAllowed) before anything is charged."""
    if options.bg_image_url:
        guarded_http.check_url(options.bg_image_url, _policy())


def key(user_id: str, job_id: str) -> str:
    """Where a job's uploaded background image is stored."""
    return storage.direct_key(user_id, f"{job_id}.background", FILENAME)


def load(options: OutputOptions, stored_key: str | None = None) -> bytes | None:
    """The background image's bytes (None: there is none). One that cannot be had is an
    InvalidImage (BACKGROUND_...): the image fails and is refunded, retrying changes nothing."""
    if stored_key:
        return storage.get_bytes(stored_key)
    if not options.bg_image_url:
        return None
    try:
        fetched = guarded_http.fetch(options.bg_image_url, _policy())
    except DomainError as err:
        raise InvalidImage(f"BACKGROUND_{err.code}", f"bgImageUrl: {err.message}") from err
    if fetched.status != 200:
        raise InvalidImage("BACKGROUND_URL_FETCH_FAILED", f"bgImageUrl answered HTTP {fetched.status}")
    return fetched.body
