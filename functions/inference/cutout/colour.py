"""Colour kept: the input's ICC profile (Adobe RGB, Display P3, ...) goes with every output that
has colour (PNG iCCP, JPEG, WebP: all the formats here can carry one), so its pixels need no
conversion; what is added to them (a background colour, sRGB by convention, or a background
image with its own profile) is converted into the input's profile first. The alpha mask is
coverage, not colour: it carries none.
"""

import io
from functools import lru_cache

from PIL import Image, ImageCms


def profile_of(image: Image.Image) -> bytes | None:
    """The image's embedded ICC profile when it is one littleCMS can read; else None (sRGB)."""
    icc = image.info.get("icc_profile")
    if not icc:
        return None
    try:
        _profile(icc)
    except (ImageCms.PyCMSError, OSError, TypeError):
        return None
    return icc


@lru_cache(maxsize=8)
def _profile(icc: bytes | None) -> ImageCms.ImageCmsProfile:
    if icc is None:
        return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return ImageCms.ImageCmsProfile(io.BytesIO(icc))


def into(image: Image.Image, source: bytes | None, target: bytes | None) -> Image.Image:
    """An RGB image's pixels from the `source` profile into the `target` one (None: sRGB)."""
    if source == target:
        return image
    return ImageCms.profileToProfile(
        image, _profile(source), _profile(target), renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC
    )


def colour(hex_colour: str, target: bytes | None) -> tuple[int, int, int]:
    """An sRGB `#rrggbb` as the same colour in the `target` profile."""
    swatch = Image.new("RGB", (1, 1), hex_colour)
    return into(swatch, None, target).getpixel((0, 0))
