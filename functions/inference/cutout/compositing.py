"""The output options beyond a plain cutout, in the order they apply: the region of interest, the
crop, the subject scaled and placed on the canvas, a drop shadow, then the background (a colour or
an image). remove.bg documents each; see docs/removebg.md.
"""

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from bgr_core.work.output_options import OutputOptions
from cutout import colour

SHADOW_OFFSET = 0.02  # of the canvas's longer side: down and to the right
SHADOW_SOFTNESS = 0.012  # the blur's sigma, of the canvas's longer side


def region(alpha: Image.Image, options: OutputOptions) -> Image.Image:
    """The alpha with everything outside the region of interest made background."""
    box = options.roi_box(*alpha.size)
    if box is None:
        return alpha
    kept = Image.new("L", alpha.size, 0)
    if box[2] > box[0] and box[3] > box[1]:
        kept.paste(alpha.crop(box), box[:2])
    return kept


def place(image: Image.Image, alpha: Image.Image, options: OutputOptions, subject) -> tuple:
    """(RGB, alpha) with the subject (its box `subject`) scaled so its larger side is `scale` % of
    the canvas's, and moved so the free space left and above it is `placement` of all there is."""
    where = options.placement
    if subject is None or (where is None and options.scale is None):
        return image, alpha
    width, height = alpha.size
    left, top, right, bottom = subject
    factor = (
        options.scale / 100 / max((right - left) / width, (bottom - top) / height) if options.scale else 1
    )
    size = (
        max(1, min(width, round((right - left) * factor))),
        max(1, min(height, round((bottom - top) * factor))),
    )
    if where is None:  # scaled where it was: about its centre, kept on the canvas
        x = min(max(0, round((left + right - size[0]) / 2)), width - size[0])
        y = min(max(0, round((top + bottom - size[1]) / 2)), height - size[1])
    else:
        x, y = round(where[0] * (width - size[0])), round(where[1] * (height - size[1]))
    cut = _premultiplied(image, alpha).crop(subject).resize(size, Image.Resampling.LANCZOS).convert("RGBA")
    canvas = Image.new("RGBA", alpha.size, (0, 0, 0, 0))
    canvas.paste(cut, (x, y))
    return canvas.convert("RGB"), canvas.getchannel("A")


def _premultiplied(image: Image.Image, alpha: Image.Image) -> Image.Image:
    rgba = image.convert("RGB")
    rgba.putalpha(alpha)
    return rgba.convert("RGBa")  # resized premultiplied, so no background colour bleeds in


def shadow(alpha: Image.Image, opacity: int) -> Image.Image:
    """The drop shadow's coverage: the alpha moved down-right, blurred, times `opacity` %."""
    a = np.asarray(alpha, dtype=np.float32)
    longer = max(alpha.size)
    offset = max(1, round(SHADOW_OFFSET * longer))
    moved = np.zeros_like(a)
    moved[offset:, offset:] = a[:-offset, :-offset]
    soft = cv2.GaussianBlur(moved, (0, 0), max(1.0, SHADOW_SOFTNESS * longer))
    return Image.fromarray(np.clip(soft * opacity / 100, 0, 255).astype(np.uint8))


def under(rgb: Image.Image, alpha: Image.Image, cast: Image.Image) -> tuple[Image.Image, Image.Image]:
    """The subject over its (black) shadow: the colour and the alpha of the two together."""
    a = np.asarray(alpha, dtype=np.float32) / 255
    s = np.asarray(cast, dtype=np.float32) / 255
    total = a + s * (1 - a)
    colours = np.asarray(rgb, dtype=np.float32) * (a / np.maximum(total, 1e-6))[..., None]
    return (
        Image.fromarray(np.clip(colours + 0.5, 0, 255).astype(np.uint8)),
        Image.fromarray(np.clip(total * 255 + 0.5, 0, 255).astype(np.uint8)),
    )


def backdrop(
    size: tuple[int, int], options: OutputOptions, background: Image.Image | None, icc: bytes | None
) -> Image.Image | None:
    """What the cutout is flattened onto, in the input's colours: the background image centred
    and resized to fill the canvas (aspect ratio kept, the overflow cropped), the colour, white
    for a JPEG; None when the output stays transparent."""
    if background is not None:
        picture = background.convert("RGB")
        picture = colour.into(picture, colour.profile_of(background), icc)
        return ImageOps.fit(picture, size, Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    if options.bg_color or options.format == "jpg":
        return Image.new("RGB", size, colour.colour(options.bg_color or "#ffffff", icc))
    return None


def watermark(picture: Image.Image) -> Image.Image:
    """A test key's result: TEST written across it in light diagonal rows, visible on any part."""
    width, height = picture.size
    mask = Image.new("L", picture.size, 0)
    draw = ImageDraw.Draw(mask)
    font = ImageFont.load_default(size=max(10, min(width, height) // 8))
    step = max(20, min(width, height) // 4)
    for row, y in enumerate(range(-height, 2 * height, step)):
        for x in range(-width + (row % 2) * step, 2 * width, 2 * step):
            draw.text((x, y), "TEST", fill=255, font=font)
    mask = mask.rotate(30, resample=Image.Resampling.BILINEAR)
    ink = np.asarray(mask, dtype=np.float32)[..., None] / 255 * 0.6
    if picture.mode == "L":
        pixels = np.asarray(picture, dtype=np.float32)[..., None]
        return Image.fromarray((pixels * (1 - ink) + 128 * ink)[..., 0].astype(np.uint8))
    pixels = np.asarray(picture, dtype=np.float32)
    pixels[..., :3] = pixels[..., :3] * (1 - ink) + 200 * ink
    if picture.mode == "RGBA":
        pixels[..., 3:] = np.maximum(pixels[..., 3:], 255 * ink)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), picture.mode)
