"""Uploaded bytes -> a normalised RGB or RGBA image, or InvalidImage saying why not.

Sizes are checked from the header before any pixel is decoded. Accepted: JPEG (MPO photos
from phones: the primary image), PNG and WebP, still only. Images whose shorter side is under
MIN_SIDE pixels or whose aspect ratio is over MAX_ASPECT are refused with BAD_DIMENSIONS:
the model sees a square, and a sliver squashed into one has no subject to find.
"""

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, JpegImagePlugin, PngImagePlugin, UnidentifiedImageError, WebPImagePlugin

from bgr_core.platform.errors import InvalidImage
from bgr_core.platform.storage import MAX_IMAGE_BYTES, megabytes

MAX_PIXELS = 25_000_000
MIN_SIDE = 16
MAX_ASPECT = 20.0
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
_ALPHA_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}
# Imported here, the formats this service reads and writes are registered: otherwise Pillow's
# first WebP open or save imports every one of its ~40 plugins (~40 ms of a cold start).
_PLUGINS = (JpegImagePlugin, PngImagePlugin, WebPImagePlugin)


def load_image(data: bytes, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Validated, decoded, EXIF-oriented image in mode RGB, or RGBA when the input has alpha."""
    if not data:
        raise InvalidImage("EMPTY_FILE", "the file is empty")
    if len(data) > max_bytes:
        raise InvalidImage(
            "TOO_LARGE", f"{megabytes(len(data))} is over the {megabytes(max_bytes)} limit", 413
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open(data)
    _check_header(image, max_pixels)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as err:
        raise InvalidImage("CORRUPT_IMAGE", f"the {image.format} data is damaged: {err}") from err
    ImageOps.exif_transpose(image, in_place=True)
    return _normalise(image)


def _open(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise InvalidImage("TOO_MANY_PIXELS", f"the image declares too many pixels: {err}", 413) from err
    except UnidentifiedImageError:
        pass
    except (OSError, SyntaxError, ValueError) as err:
        raise InvalidImage("CORRUPT_IMAGE", f"the image header is damaged: {err}") from err
    try:  # recognised by Pillow but not accepted here?
        other = Image.open(io.BytesIO(data)).format
    except Exception:
        other = None
    if other:
        accepted = ", ".join(f.lower() for f in ACCEPTED_FORMATS)
        raise InvalidImage("UNSUPPORTED_FORMAT", f"{other} is not supported; send {accepted}", 415)
    raise InvalidImage("NOT_AN_IMAGE", "the file is not an image", 415)


def _check_header(image: Image.Image, max_pixels: int) -> None:
    if image.format != "MPO" and getattr(image, "is_animated", False):
        raise InvalidImage("UNSUPPORTED_FORMAT", f"animated {image.format} is not supported", 415)
    width, height = image.size
    if width * height > max_pixels:
        raise InvalidImage("TOO_MANY_PIXELS", f"{width}×{height} is over the {max_pixels:,} pixel limit", 413)
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_ASPECT * min(width, height):
        raise InvalidImage(
            "BAD_DIMENSIONS",
            f"{width}×{height}: sides must be at least {MIN_SIDE} px with an aspect ratio "
            f"up to {MAX_ASPECT:g}:1",
        )


def _normalise(image: Image.Image) -> Image.Image:
    if image.mode.startswith("I"):  # 16-bit greyscale: Pillow's convert would clip, not scale
        image = Image.fromarray(np.clip(np.asarray(image) >> 8, 0, 255).astype(np.uint8))
    has_alpha = image.mode in _ALPHA_MODES or "transparency" in image.info
    target = "RGBA" if has_alpha else "RGB"
    return image if image.mode == target else image.convert(target)
