"""Which inference function takes a created original (template.yaml deploys the one image twice,
each sized for its tiers): objects of a tier whose refinement is matting go to the matting
function, every other one to the light function, including objects no job stands for (which it
leaves alone) and drops it must refuse (which it records failed)."""

from bgr_core.platform import storage
from bgr_core.platform.config import get_settings
from bgr_core.platform.errors import BadRequest
from bgr_core.work import batches, jobs

LIGHT, MATTING = "light", "matting"


def tier_class(tier: str | None) -> str:
    plan = get_settings().tier_models.get(tier or "")
    return MATTING if plan is not None and plan.refinement.startswith("matting") else LIGHT


def object_class(key: str) -> str:
    """The class of the tier the object was uploaded for: a drop names it in its key, an upload
    or batch item in its job or batch."""
    try:
        target = storage.parse_ingest_key(key)
    except BadRequest:
        return LIGHT
    if target.kind == "drop":
        return tier_class(target.tier)
    record = jobs.get(target.job_id) if target.kind == "upload" else batches.get(target.batch_id)
    return tier_class(record.tier if record is not None else None)


def queue_url(inference_class: str) -> str:
    settings = get_settings()
    return settings.matting_queue_url if inference_class == MATTING else settings.light_queue_url
