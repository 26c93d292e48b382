"""What a tier does to the model's mask: clean-up, alpha matting, colour decontamination.

Everything here is numpy and OpenCV box filters: nothing is compiled at run time and nothing is
written anywhere, so the first cutout of a read-only container costs what every other one does.

- Matting: the model's mask is coarse (its 320 or 1024 px square scaled to the photo), so its
  edge is a blur a few pixels wide. A guided filter (He et al., "Guided Image Filtering", 2013)
  fits the mask locally as a linear function of the photo's colour, which puts the edge where the
  colours change and brings back thin strands the model could not see; its coefficients are
  fitted at about a megapixel and applied at full size ("Fast Guided Filter", He & Sun, 2015).
  The mask's certain inside and outside stay as they were.
- Decontamination: blur-fusion foreground estimation (Forte & Pitié, "Approximate Fast
  Foreground Colour Estimation", 2021): the subject's and the background's local colours F̄, B̄
  are box-filter averages weighted by α, and each semi-transparent pixel becomes
  F̄ + α(I − αF̄ − (1 − α)B̄). The α used is never below what the pixel's own colour says
  (its position between B̄ and F̄), so a pixel that looks like the subject keeps its colour:
  an opaque part that the mask marks as soft is never tinted away from the background.
"""

import math

import cv2
import numpy as np
from PIL import Image, ImageFilter

# Clean-up: values within this distance of 0 or 255 snap to it (background haze, speckled
# interiors); the 50 % crossing, where the cutout's edge is, does not move.
_SNAP = 16
_STRETCH = [min(255, max(0, round((v - _SNAP) * 255 / (255 - 2 * _SNAP)))) for v in range(256)]
# Matting fits its local models on at most this many pixels and applies them at full size.
WORK_PIXELS = 1_000_000
# Sizes in pixels of the model's input (its mask's blur is about one), scaled to the photo:
_BAND = 0.5  # the mask's certain inside and outside are eroded by this to leave a band to solve
_RADIUS = 1.0  # guided filter window radius
_SAMPLES = 4.0  # radius over which the subject's and background's local colours are averaged
_EPSILON = 1e-4  # guided filter regulariser: higher follows the mask, lower the colours
_CERTAIN = 0.98  # mask values beyond this (or below 1 − this) count as certain
_CONTRAST, _FIT = 0.3, 0.1  # colour alpha is trusted where F̄, B̄ differ and the pixel lies between
_FUSION_RADII = (0.06, 0.004)  # blur-fusion's two passes' radii, as fractions of the longer side


def clean_mask(pred: np.ndarray, size: tuple[int, int]) -> Image.Image:
    """The model's [0, 1] mask, despeckled and snapped at its own resolution, scaled to `size`."""
    mask = Image.fromarray((pred * 255).astype(np.uint8))
    mask = mask.filter(ImageFilter.MedianFilter(3)).point(_STRETCH)
    return mask.resize(size, Image.Resampling.BILINEAR)


def matte(image: Image.Image, mask: Image.Image, model_side: int = 320) -> Image.Image | None:
    """Alpha refined to the photo's edges in the mask's uncertain band; None if there is no band.

    Two estimates, blended per pixel: the guided filter's, and the pixel's colour placed between
    the subject's and the background's local colours (which finds strands beyond the mask's
    edge), trusted where those two colours differ and the pixel's colour lies between them.
    """
    width, height = image.size
    scale = min(1.0, math.sqrt(WORK_PIXELS / (width * height)))
    work = (max(1, round(width * scale)), max(1, round(height * scale)))
    unit = max(work) / model_side  # one model pixel, in work pixels
    rgb = _float_rgb(image)
    rgb_s = _resize(rgb, work)
    soft_s = np.asarray(mask.resize(work, Image.Resampling.BILINEAR), dtype=np.float32) / 255
    erode = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * round(_BAND * unit) + 1,) * 2)
    inside_s = cv2.erode((soft_s >= _CERTAIN).astype(np.uint8), erode)
    outside_s = cv2.erode((soft_s <= 1 - _CERTAIN).astype(np.uint8), erode)
    if not inside_s.any() or not outside_s.any():
        return None
    coef, offset = _guided_coefficients(rgb_s, soft_s, max(1, round(_RADIUS * unit)), _EPSILON)
    samples = max(1, round(_SAMPLES * unit))
    (fg_s, fg_spread), (bg_s, bg_spread) = (
        _local_colours(rgb_s, inside_s, samples),
        _local_colours(rgb_s, outside_s, samples),
    )
    noise_s = fg_spread + bg_spread

    inside = _resize(inside_s, (width, height), cv2.INTER_NEAREST).astype(bool)
    outside = _resize(outside_s, (width, height), cv2.INTER_NEAREST).astype(bool)
    band = ~(inside | outside)
    if not band.any():
        return None
    pixels = rgb[band]
    guided = (_upsampled(coef, band) * pixels).sum(-1) + _upsampled(offset, band)
    fg, bg = _upsampled(fg_s, band), _upsampled(bg_s, band)
    span = fg - bg
    spread = (span * span).sum(-1)
    seen = np.clip(((pixels - bg) * span).sum(-1) / np.maximum(spread, 1e-4), 0, 1)
    residual = pixels - bg - seen[:, None] * span
    # Trusted where the two colours stand apart from the textures they are averaged from.
    contrast = np.sqrt(spread) - 2 * _upsampled(noise_s, band)
    trust = np.clip(contrast / _CONTRAST, 0, 1) * np.exp(-(residual * residual).sum(-1) / _FIT**2)
    alpha = inside.astype(np.float32)
    alpha[band] = np.clip(trust * seen + (1 - trust) * guided, 0, 1)
    return Image.fromarray(_to_uint8(alpha))


def decontaminate(image: Image.Image, alpha: Image.Image) -> Image.Image:
    """RGB image whose semi-transparent pixels carry the estimated pure foreground colour."""
    rgb = image.convert("RGB") if image.mode != "RGB" else image.copy()
    a = np.asarray(alpha, dtype=np.float32) * np.float32(1 / 255)
    edge = (a > 0) & (a < 1)
    if not edge.any():
        return rgb
    pixels = _float_rgb(rgb)
    foreground = _blur_fusion(pixels, a, edge)
    out = np.asarray(rgb).copy()
    out[edge] = _to_uint8(foreground)
    return Image.fromarray(out)


def _float_rgb(image: Image.Image) -> np.ndarray:
    rgb = image.convert("RGB") if image.mode != "RGB" else image
    return np.asarray(rgb, dtype=np.float32) * np.float32(1 / 255)


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(values * 255 + 0.5, 0, 255).astype(np.uint8)


def _box(values: np.ndarray, radius: int) -> np.ndarray:
    side = 2 * radius + 1
    return cv2.boxFilter(values, -1, (side, side), borderType=cv2.BORDER_REFLECT)


def _resize(values: np.ndarray, size: tuple[int, int], interpolation: int | None = None) -> np.ndarray:
    if values.shape[1::-1] == size:
        return values
    if interpolation is None:
        interpolation = cv2.INTER_AREA if size[0] < values.shape[1] else cv2.INTER_LINEAR
    return cv2.resize(values, size, interpolation=interpolation)


def _upsampled(values: np.ndarray, where: np.ndarray) -> np.ndarray:
    """`values` (work size) scaled to `where`'s size, at `where`'s pixels only."""
    return _resize(values, where.shape[::-1], cv2.INTER_LINEAR)[where]


def _local_colours(rgb: np.ndarray, known: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's mean colour of the `known` pixels around it (looking further where there are
    none) and their spread (standard deviation, summed over channels)."""
    weight = known.astype(np.float32)
    values = np.concatenate([rgb, rgb * rgb], -1) * weight[..., None]
    moments, support = np.zeros(values.shape, np.float32), np.zeros(weight.shape, np.float32)
    for r in (radius, 4 * radius, 16 * radius):
        total = _box(weight, r)
        fill = (support < 0.02) & (total > 1e-4)
        moments[fill] = _box(values, r)[fill] / total[fill][:, None]
        support = np.maximum(support, total)
    mean = moments[..., :3]
    spread = np.sqrt(np.maximum(moments[..., 3:] - mean * mean, 0)).sum(-1)
    return mean, spread


def _guided_coefficients(guide: np.ndarray, source: np.ndarray, r: int, epsilon: float):
    """He et al.'s colour guided filter: per pixel, source ≈ coef · guide + offset (window-averaged)."""
    mean_i = _box(guide, r)
    mean_p = _box(source, r)
    cov_ip = _box(guide * source[..., None], r) - mean_i * mean_p[..., None]
    red, green, blue = guide[..., 0], guide[..., 1], guide[..., 2]
    products = _box(
        np.stack([red * red, red * green, red * blue, green * green, green * blue, blue * blue], -1), r
    )
    mr, mg, mb = mean_i[..., 0], mean_i[..., 1], mean_i[..., 2]
    # The window's colour covariance Σ + εI, inverted in closed form (it is symmetric 3×3).
    rr = products[..., 0] - mr * mr + epsilon
    rg = products[..., 1] - mr * mg
    rb = products[..., 2] - mr * mb
    gg = products[..., 3] - mg * mg + epsilon
    gb = products[..., 4] - mg * mb
    bb = products[..., 5] - mb * mb + epsilon
    inv = np.stack(
        [
            gg * bb - gb * gb,
            gb * rb - rg * bb,
            rg * gb - gg * rb,
            rr * bb - rb * rb,
            rb * rg - rr * gb,
            rr * gg - rg * rg,
        ],
        -1,
    )
    det = rr * inv[..., 0] + rg * inv[..., 1] + rb * inv[..., 2]
    c_r, c_g, c_b = cov_ip[..., 0], cov_ip[..., 1], cov_ip[..., 2]
    coef = (
        np.stack(
            [
                inv[..., 0] * c_r + inv[..., 1] * c_g + inv[..., 2] * c_b,
                inv[..., 1] * c_r + inv[..., 3] * c_g + inv[..., 4] * c_b,
                inv[..., 2] * c_r + inv[..., 4] * c_g + inv[..., 5] * c_b,
            ],
            -1,
        )
        / det[..., None]
    )
    offset = mean_p - (coef * mean_i).sum(-1)
    return _box(coef, r), _box(offset, r)


def _blur_fusion(image: np.ndarray, alpha: np.ndarray, edge: np.ndarray) -> np.ndarray:
    """Foreground colour (n, 3) in [0, 1] of the `edge` pixels: Forte & Pitié's two passes, the
    wide one on a reduced copy (its averages are smooth), the narrow one at full size."""
    height, width = alpha.shape
    foreground = background = image
    a = alpha[edge][:, None]
    pixels = image[edge]
    for fraction in _FUSION_RADII:
        radius = fraction * max(width, height)
        scale = min(1.0, math.sqrt(WORK_PIXELS / (width * height))) if radius > 16 else 1.0
        work = (max(1, round(width * scale)), max(1, round(height * scale)))
        r = max(1, round(radius * scale))
        a_s = _resize(alpha, work)
        mean_f = _box(_resize(foreground, work) * a_s[..., None], r) / (_box(a_s, r)[..., None] + 1e-5)
        mean_b = _box(_resize(background, work) * (1 - a_s[..., None]), r) / (
            _box(1 - a_s, r)[..., None] + 1e-5
        )
        mean_f, mean_b = _upsampled(mean_f, edge), _upsampled(mean_b, edge)
        # The pixel's own colour says how much subject it holds: never decontaminate below that.
        span = mean_f - mean_b
        seen = ((pixels - mean_b) * span).sum(-1, keepdims=True) / np.maximum(
            (span * span).sum(-1, keepdims=True), 1e-4
        )
        a_eff = np.maximum(a, np.clip(seen, 0, 1))
        estimate = np.clip(mean_f + a_eff * (pixels - a_eff * mean_f - (1 - a_eff) * mean_b), 0, 1)
        foreground, background = image.copy(), image.copy()
        foreground[edge], background[edge] = estimate, mean_b
    return estimate
