"""One upload -> one cutout: decode, segment with the tier's model, refine, encode."""

import time
from dataclasses import dataclass, field

from PIL import ImageChops

from bgr_core.platform.config import get_settings
from bgr_core.platform.errors import InvalidImage
from bgr_core.work.output_options import OutputOptions
from cutout import background, colour, compositing, decode, outputs, refine, segment

BACKDROP_MAX_BYTES = 10 * 1024 * 1024  # remove.bg's limit for bg_image_file


@dataclass(frozen=True)
class CutoutResult:
    image: bytes
    content_type: str
    extension: str  # png | webp | jpg
    thumbnail: bytes | None  # WebP, THUMBNAIL_SIDE px; None when not asked for
    width: int
    height: int
    original_size: int  # bytes received
    model_name: str  # the model that really ran (the fallback when the tier's is not provisioned)
    refinement: str  # what was really applied: cleanup | matting | matting+decontaminate
    foreground: tuple[int, int, int, int] | None = None  # the subject's left, top, width, height
    timings: dict[str, float] = field(default_factory=dict)  # ms: decode, segment, refine, encode

    @property
    def processing_ms(self) -> int:
        return max(1, round(sum(self.timings.values())))


def run(
    data: bytes,
    tier: str,
    options: OutputOptions | None = None,
    *,
    backdrop: bytes | None = None,
    watermark: bool = False,
    thumbnail: bool = True,
) -> CutoutResult:
    """`backdrop`: the background image's bytes (bg_image_url / bg_image_file); `watermark`: a
    test key's result; `thumbnail`: make one (a batch item's result has none). Raises
    InvalidImage for input that will never process (the backdrop's code prefixed BACKGROUND_),
    ModelNotReady when no model can run."""
    options = options or OutputOptions()
    settings = get_settings()
    if tier not in settings.tier_models:
        raise ValueError(f"unknown tier {tier!r}")
    plan = settings.tier_models[tier]
    model_name, model_path = segment.choose_model(settings, plan.model)
    segment.prepare(model_path)
    clock = _Stopwatch()

    image = decode.load_image(data)
    icc = colour.profile_of(image)
    scenery = _backdrop(backdrop)
    own_alpha = image.getchannel("A") if image.mode == "RGBA" else None
    clock.lap("decode")

    pred = segment.predict(image, model_name, model_path)
    clock.lap("segment")

    alpha = refine.clean_mask(pred, image.size)
    refinement = "cleanup"
    if plan.refinement.startswith("matting"):
        matted = refine.matte(image, alpha, segment.MODELS[model_name].side)
        if matted is not None:
            alpha, refinement = matted, "matting"
            if plan.refinement == "matting+decontaminate":
                image, refinement = refine.decontaminate(image, alpha), plan.refinement
    if own_alpha is not None:  # what was already transparent stays transparent
        alpha = ImageChops.multiply(alpha, own_alpha)
    clock.lap("refine")

    if options.plain and scenery is None and not (icc and options.bg_color):
        box = outputs.foreground(alpha, options)
        picture = outputs.compose(image, alpha, options)
    else:
        picture, box = outputs.render(image, alpha, options, scenery, icc)
    del image  # not needed past here: its memory (36 MB at 12 MP) is free for the encode
    picture, box = outputs.fit(picture, box, options.max_pixels)
    if watermark:
        picture = compositing.watermark(picture)
    # beside the encode
    thumb = background.pool.submit(outputs.thumbnail, picture, icc) if thumbnail else None
    encoded = outputs.encode(picture, options.format, icc)
    clock.lap("encode")

    return CutoutResult(
        image=encoded.data,
        content_type=encoded.content_type,
        extension=encoded.extension,
        thumbnail=thumb.result() if thumb is not None else None,
        width=encoded.width,
        height=encoded.height,
        original_size=len(data),
        model_name=model_name,
        refinement=refinement,
        foreground=box,
        timings=clock.laps,
    )


def _backdrop(data: bytes | None):
    if data is None:
        return None
    try:
        return decode.load_image(data, max_bytes=BACKDROP_MAX_BYTES)
    except InvalidImage as err:
        raise InvalidImage(
            f"BACKGROUND_{err.code}", f"the background image: {err.message}", err.status
        ) from err


class _Stopwatch:
    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = (now - self._last) * 1000
        self._last = now
