"""What a tier does to the model's mask: clean-up, alpha matting, colour decontamination.

Everything here is numpy, OpenCV and scipy: nothing is compiled at run time and nothing is
written anywhere, so the first cutout of a read-only container costs what every other one does.

- Matting: the model's mask is coarse (its 320 or 1024 px square scaled to the photo), so its
  edge is a blur a few pixels wide. A guided filter (He et al., "Guided Image Filtering", 2013)
  fits the mask locally as a linear function of the photo's colour, which puts the edge where the
  colours change and brings back thin strands the model could not see; its coefficients are
  fitted at about half a megapixel and applied at full size ("Fast Guided Filter", He & Sun, 2015).
  The mask's certain inside and outside stay as they were. A closed-form matting (Levin et al.,
  2008) solved at a reduced size with scipy's conjugate gradient then links the band to them
  and corrects what both local estimates placed a little off; its change is added at full size.
- Decontamination: blur-fusion foreground estimation (Forte & Pitié, "Approximate Fast
  Foreground Colour Estimation", 2021): the subject's and the background's local colours F̄, B̄
  are box-filter averages weighted by α, and each semi-transparent pixel becomes
  F̄ + α(I − αF̄ − (1 − α)B̄). The α used is never below what the pixel's own colour says
  (its position between B̄ and F̄), so a pixel that looks like the subject keeps its colour:
  an opaque part that the mask marks as soft is never tinted away from the background. Where
  F̄ and B̄ do not stand clear of the colours they average (busy backgrounds, see-through or
  varied subjects), the pixel moves only along the ray from B̄ through it (where compositing puts
  the pure colour), so F̄'s errors across that ray never reach the cutout.
"""

import math
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image, ImageFilter

from cutout import arrays

if TYPE_CHECKING:
    from scipy import sparse

# Clean-up: values within this distance of 0 or 255 snap to it (background haze, speckled
# interiors); the 50 % crossing, where the cutout's edge is, does not move.
_SNAP = 16
_STRETCH = [min(255, max(0, round((v - _SNAP) * 255 / (255 - 2 * _SNAP)))) for v in range(256)]
# Matting fits its local models on at most this many pixels and applies them at full size.
WORK_PIXELS = 500_000
# Sizes in pixels of the model's input (its mask's blur is about one), scaled to the photo:
_BAND = 0.5  # the mask's certain inside and outside are eroded by this to leave a band to solve
_RADIUS = 1.0  # guided filter window radius
_SAMPLES = 4.0  # radius over which the subject's and background's local colours are averaged
_EPSILON = 1e-4  # guided filter regulariser: higher follows the mask, lower the colours
_CERTAIN = 0.98  # mask values beyond this (or below 1 − this) count as certain
_CONTRAST, _FIT = 0.3, 0.1  # colour alpha is trusted where F̄, B̄ differ and the pixel lies between
_FUSION_RADII = (0.06, 0.004)  # blur fusion's two passes' radii, as fractions of the longer side
_FUSION_PIXELS = 250_000  # blur fusion's smooth averages are found at about this size
_TEXTURE = 3000.0  # how far F̄, B̄ must stand apart from their colours' spread to be used as they are
# Closed-form matting's correction is solved at about this many pixels, in this many steps.
_SOLVE_PIXELS, _STEPS = 60_000, 20
_SOLVE_EPSILON = 1e-5  # its windows' colour covariance regulariser
_PULL = 0.05  # how strongly its solution is held to the blended estimate


def clean_mask(pred: np.ndarray, size: tuple[int, int]) -> Image.Image:
    """The model's [0, 1] mask, despeckled and snapped at its own resolution, scaled to `size`."""
    mask = Image.fromarray((pred * 255).astype(np.uint8))
    mask = mask.filter(ImageFilter.MedianFilter(3)).point(_STRETCH)
    return arrays.to_image(_resize(np.asarray(mask), size, cv2.INTER_LINEAR))  # ~10× faster than Pillow


def matte(image: Image.Image, mask: Image.Image, model_side: int = 320) -> Image.Image | None:
    """Alpha refined to the photo's edges in the mask's uncertain band; None if there is no band.

    Two estimates, blended per pixel: the guided filter's, and the pixel's colour placed between
    the subject's and the background's local colours (which finds strands beyond the mask's
    edge), trusted where those two colours differ and the pixel's colour lies between them.
    """
    width, height = image.size
    work = _work_size(width, height)
    unit = max(work) / model_side  # one model pixel, in work pixels
    photo = np.asarray(image.convert("RGB") if image.mode != "RGB" else image)
    rgb_s = _unit(_resize(photo, work))
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

    inside = _resize(inside_s, (width, height), cv2.INTER_NEAREST)
    band = _Band(_resize(inside_s | outside_s, (width, height), cv2.INTER_NEAREST) == 0)
    pixels = _unit(band.take(photo))
    guided = _dot(band.read(coef), pixels) + band.read(offset)
    fg, bg = band.read(fg_s), band.read(bg_s)
    span = fg - bg
    spread = _dot(span, span)
    seen = np.clip(_dot(pixels - bg, span) / np.maximum(spread, 1e-4), 0, 1)
    residual = pixels - bg - seen[:, None] * span
    # Trusted where the two colours stand apart from the textures they are averaged from.
    contrast = np.sqrt(spread) - 2 * band.read(fg_spread + bg_spread)
    trust = np.clip(contrast / _CONTRAST, 0, 1) * np.exp(-_dot(residual, residual) / _FIT**2)
    alpha = inside.astype(np.float32)
    band.put(alpha, trust * seen + (1 - trust) * guided)
    _propagate(photo, alpha, band)
    return Image.fromarray(_to_uint8(alpha))


def _propagate(photo: np.ndarray, alpha: np.ndarray, band: "_Band") -> None:
    """Adds to `alpha` in `band` what closed-form matting changes at a reduced size: the guided
    filter and the colour samples see a window each, the matting Laplacian links the whole band
    to the certain inside and outside (it fixes edges the mask placed a little off)."""
    height, width = alpha.shape
    scale = min(1.0, math.sqrt(_SOLVE_PIXELS / (width * height)))
    size = (max(3, round(width * scale)), max(3, round(height * scale)))
    unknown = _resize(band.mask.view(np.uint8), size, cv2.INTER_NEAREST).astype(bool)
    if not unknown.any():
        return
    low = _resize(alpha, size, cv2.INTER_AREA)
    solved = _closed_form(_unit(_resize(photo, size)), low, unknown)
    band.put(alpha, np.clip(band.take(alpha) + band.read(solved - low), 0, 1))


def _closed_form(rgb: np.ndarray, alpha: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """Levin et al.'s closed-form matting ("A Closed-Form Solution to Natural Image Matting",
    2008) for the `unknown` pixels, the others fixed, with a weak pull towards `alpha` that makes
    a few Jacobi-preconditioned conjugate-gradient steps from it enough."""
    from scipy import sparse  # here: the light tiers never load scipy (~0.3 s of a cold start)
    from scipy.sparse import linalg as sparse_linalg

    laplacian = _matting_laplacian(rgb, cv2.dilate(unknown.astype(np.uint8), np.ones((3, 3), np.uint8)))
    flat = alpha.ravel().astype(np.float64)
    free, fixed = np.flatnonzero(unknown), np.flatnonzero(~unknown)
    rows = laplacian[free]
    system = rows[:, free] + _PULL * sparse.identity(len(free), format="csr")
    rhs = _PULL * flat[free] - rows[:, fixed] @ flat[fixed]
    solved, _ = sparse_linalg.cg(
        system, rhs, x0=flat[free], M=sparse.diags(1 / system.diagonal()), maxiter=_STEPS
    )
    flat[free] = np.clip(solved, 0, 1)
    return flat.reshape(alpha.shape).astype(np.float32)


def _matting_laplacian(rgb: np.ndarray, centres: np.ndarray) -> "sparse.csr_matrix":
    """The matting Laplacian's terms from the 3×3 windows centred in `centres` (not on the border)."""
    from scipy import sparse

    height, width = centres.shape
    ys, xs = np.nonzero(centres[1:-1, 1:-1])
    window = np.stack([(ys + dy) * width + xs + dx for dy in range(3) for dx in range(3)], 1)
    colours = rgb.reshape(-1, 3).astype(np.float64)[window]  # (n, 9, 3)
    centred = colours - colours.mean(1, keepdims=True)
    across = centred.transpose(0, 2, 1)
    covariance = across @ centred / 9 + _SOLVE_EPSILON / 9 * np.eye(3)
    affinity = (1 + centred @ np.linalg.inv(covariance) @ across) / 9  # (n, 9, 9)
    pixels = height * width
    weights = sparse.csr_matrix(
        (affinity.ravel(), (np.repeat(window, 9, 1).ravel(), np.tile(window, (1, 9)).ravel())),
        shape=(pixels, pixels),
    )
    return sparse.diags(np.asarray(weights.sum(1)).ravel()) - weights


def decontaminate(image: Image.Image, alpha: Image.Image) -> Image.Image:
    """RGB image whose semi-transparent pixels carry the estimated pure foreground colour."""
    rgb = image.convert("RGB") if image.mode != "RGB" else image
    photo, a = np.asarray(rgb), np.asarray(alpha)
    work = _work_size(*image.size, _FUSION_PIXELS)
    edge = _Band((a > 0) & (a < 255))
    out = photo.copy()
    if len(edge.rows):
        alpha_s = _unit(_resize(a, work))
        local = _blur_fusion(_unit(_resize(photo, work)), alpha_s, max(image.size) / max(work))
        pixels, (mean_f, mean_b, spread) = _unit(edge.take(photo)), (edge.read(v) for v in local)
        fused = _fuse(pixels, _unit(edge.take(a))[:, None], mean_f, mean_b)
        # Where F̄ and B̄ stand apart from the colours they average (a studio background), fusion's
        # estimate holds; where they do not (textured, busy backgrounds) only its step on the ray.
        span = _dot(mean_f - mean_b, mean_f - mean_b)
        sure = (span / (span + _TEXTURE * spread + 1e-6))[:, None]
        ray = _away_from_background(pixels, fused, mean_b)
        edge.put(out, _to_uint8(ray + sure * (fused - ray)))
    return Image.fromarray(out)


class _Band:
    """The pixels of a full-size mask, where smaller arrays are read as if scaled up (bilinear):
    OpenCV's remap at just these points, instead of scaling whole arrays up to the photo's size."""

    _ROW = 4096  # remap's maps are laid out in rows of this many points (it takes < 32767 a side)

    def __init__(self, mask: np.ndarray):
        self.mask = mask
        self.rows, self.cols = np.nonzero(mask)
        self._maps: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def take(self, values: np.ndarray) -> np.ndarray:
        return values[self.rows, self.cols]

    def put(self, target: np.ndarray, values: np.ndarray) -> None:
        target[self.rows, self.cols] = values

    def read(self, values: np.ndarray) -> np.ndarray:
        height, width = values.shape[:2]
        if (height, width) not in self._maps:
            self._maps[height, width] = self._map(height, width)
        maps = self._maps[height, width]
        flat = cv2.remap(values, *maps, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return flat.reshape(-1, *values.shape[2:])[: len(self.rows)]

    def _map(self, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Where each point falls in a (height, width) array, as cv2.resize places pixel centres."""
        full_height, full_width = self.mask.shape
        shape = (max(1, -(-len(self.rows) // self._ROW)), self._ROW)
        padding = (0, shape[0] * shape[1] - len(self.rows))
        xs = np.pad((self.cols + 0.5) * (width / full_width) - 0.5, padding).astype(np.float32)
        ys = np.pad((self.rows + 0.5) * (height / full_height) - 0.5, padding).astype(np.float32)
        return cv2.convertMaps(xs.reshape(shape), ys.reshape(shape), cv2.CV_16SC2)


def _work_size(width: int, height: int, pixels: int = WORK_PIXELS) -> tuple[int, int]:
    scale = min(1.0, math.sqrt(pixels / (width * height)))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _unit(values: np.ndarray) -> np.ndarray:
    """uint8 -> float32 in [0, 1]."""
    return values.astype(np.float32) * np.float32(1 / 255)


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


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel dot product of two colour arrays (..., 3); numpy's sum over a last axis of 3 is slow."""
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1] + a[..., 2] * b[..., 2]


def _local_colours(rgb: np.ndarray, known: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's mean colour of the `known` pixels around it (looking further where there are
    none) and their spread (standard deviation, summed over channels). Both are smooth, so they
    are found at half the size they are given."""
    size = (max(1, known.shape[1] // 2), max(1, known.shape[0] // 2))
    weight = _resize(known.astype(np.float32), size)
    rgb = _resize(rgb, size)
    values = np.concatenate([rgb, rgb * rgb], -1) * weight[..., None]
    moments = support = None
    for r in (max(1, radius // 2), 2 * radius, 8 * radius):
        total = _box(weight, r)
        found = _box(values, r) / np.maximum(total, 1e-6)[..., None]
        if moments is None:
            moments, support = found, total
        else:  # only where nothing was found nearer
            moments = np.where((support < 0.02)[..., None], found, moments)
            support = np.maximum(support, total)
    mean = moments[..., :3]
    spread = np.sqrt(np.maximum(moments[..., 3:] - mean * mean, 0))
    return mean, spread[..., 0] + spread[..., 1] + spread[..., 2]


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
    offset = mean_p - _dot(coef, mean_i)
    return _box(coef, r), _box(offset, r)


def _blur_fusion(rgb: np.ndarray, alpha: np.ndarray, pixel: float) -> tuple[np.ndarray, ...]:
    """Forte & Pitié's two passes of local subject and background colours F̄, B̄ on a reduced
    copy (they are smooth averages); `pixel` is the copy's pixel in full-size pixels. Also how
    much the colours averaged into the last F̄ and B̄ vary (variance, summed over channels)."""
    a = alpha[..., None]
    soft = (alpha > 0) & (alpha < 1)
    foreground = background = rgb
    side = max(alpha.shape) * pixel
    for i, fraction in enumerate(_FUSION_RADII):
        r = max(1, round(fraction * side / pixel))
        weight_f, weight_b = _box(alpha, r)[..., None] + 1e-5, _box(1 - alpha, r)[..., None] + 1e-5
        mean_f = _box(foreground * a, r) / weight_f
        mean_b = _box(background * (1 - a), r) / weight_b
        if i + 1 < len(_FUSION_RADII):  # the next pass averages these estimates in the soft pixels
            foreground, background = rgb.copy(), rgb.copy()
            foreground[soft] = _fuse(rgb[soft], a[soft], mean_f[soft], mean_b[soft])
            background[soft] = mean_b[soft]
    spread = _box(foreground * foreground * a, r) / weight_f - mean_f * mean_f
    spread += _box(background * background * (1 - a), r) / weight_b - mean_b * mean_b
    return mean_f, mean_b, np.maximum(spread, 0).sum(-1)


def _away_from_background(pixels: np.ndarray, fused: np.ndarray, mean_b: np.ndarray) -> np.ndarray:
    """Blur fusion's estimate kept to what compositing allows: I = αF + (1 − α)B puts the pure
    colour F on the ray from the background B through the pixel I, beyond I. Only the estimate's
    step along that ray is taken, and no channel moves further than, or against, the estimate's
    own change (B̄ holds some of the subject's colour where the mask is soft); so where the local
    colours F̄ are wrong (a mask softer than the subject, a background as dark as the subject)
    the pixel keeps its own colour instead of turning towards them."""
    away = pixels - mean_b
    reach = _dot(away, away)
    step = np.clip(_dot(fused - pixels, away) / np.maximum(reach, 1e-4), 0, None)
    return np.clip(pixels + step[:, None] * away, np.minimum(pixels, fused), np.maximum(pixels, fused))


def _fuse(pixels: np.ndarray, alpha: np.ndarray, mean_f: np.ndarray, mean_b: np.ndarray) -> np.ndarray:
    """F̄ + α(I − αF̄ − (1 − α)B̄) per pixel (n, 3). The pixel's own colour says how much subject it
    holds (its place between B̄ and F̄): α is never taken below that, so nothing opaque is tinted."""
    span = mean_f - mean_b
    seen = np.clip(_dot(pixels - mean_b, span) / np.maximum(_dot(span, span), 1e-4), 0, 1)
    a = np.maximum(alpha, seen[:, None])
    return np.clip(mean_f + a * (pixels - a * mean_f - (1 - a) * mean_b), 0, 1)
