"""Which inference function takes a created original (template.yaml deploys the one image twice,
each sized for its tiers): objects of a tier whose refinement is matting go to the matting
function, every other one to the light function, including objects no job stands for (which it
leaves alone) and drops it must refuse (which it records failed)."""

from collections.abc import Callable

from bgr_core.platform import storage
from bgr_core.platform.config import get_settings
from bgr_core.platform.errors import BadRequest
from bgr_core.platform.models import Batch, Job
from bgr_core.work import batches, jobs

LIGHT, MATTING = "light", "matting"


def tier_class(tier: str | None) -> str:
    plan = get_settings().tier_models.get(tier or "")
    return MATTING if plan is not None and plan.matting else LIGHT


def object_class(key: str) -> str:
    """The class of the tier the object was uploaded for: a drop names it in its key, an upload
    or batch item in its job or batch."""
    try:
        target = storage.parse_ingest_key(key)
    except BadRequest:
        return LIGHT
    if target.kind == "drop":
        return tier_class(target.tier)
    if target.kind == "upload":
        return tier_class(_tier(jobs.get, target.job_id))
    return tier_class(_tier(batches.get, target.batch_id))


_tiers: dict[str, str] = {}  # a job's or batch's tier never changes: one read per instance
TIERS_KEPT = 10_000


def _tier(read: Callable[[str], Job | Batch | None], record_id: str) -> str | None:
    if record_id not in _tiers:
        record = read(record_id)
        if record is None:
            return None  # not kept: the record may be written yet
        if len(_tiers) >= TIERS_KEPT:
            _tiers.clear()
        _tiers[record_id] = record.tier
    return _tiers[record_id]


def queue_url(inference_class: str) -> str:
    settings = get_settings()
    return settings.matting_queue_url if inference_class == MATTING else settings.light_queue_url
