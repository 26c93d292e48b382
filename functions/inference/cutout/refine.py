"""What a tier does to the model's mask: clean-up, alpha matting, colour decontamination.

pymatting (and with it numba) is imported only inside the matting functions, so tiers without
matting never pay its import or JIT cost.
"""

import math

import numpy as np
from PIL import Image, ImageFilter

# Clean-up: values within this distance of 0 or 255 snap to it (background haze, speckled
# interiors); the 50 % crossing, where the cutout's edge is, does not move.
_SNAP = 16
_STRETCH = [min(255, max(0, round((v - _SNAP) * 255 / (255 - 2 * _SNAP)))) for v in range(256)]
# Matting works on at most this many pixels (~1 MP costs a few seconds) and is scaled back up.
MATTING_MAX_PIXELS = 1_000_000
_FOREGROUND, _BACKGROUND, _ERODE = 240, 10, 10  # rembg's trimap defaults


def clean_mask(pred: np.ndarray, size: tuple[int, int]) -> Image.Image:
    """The model's [0, 1] mask, despeckled and snapped at its own resolution, scaled to `size`."""
    mask = Image.fromarray((pred * 255).astype(np.uint8))
    mask = mask.filter(ImageFilter.MedianFilter(3)).point(_STRETCH)
    return mask.resize(size, Image.Resampling.BILINEAR)


def matte(image: Image.Image, mask: Image.Image) -> Image.Image | None:
    """Alpha from closed-form matting over the mask's uncertain band; None if there is no band."""
    from pymatting import estimate_alpha_cf
    from scipy.ndimage import binary_erosion

    work = _work_size(image.size)
    rgb = np.asarray(image.convert("RGB").resize(work, Image.Resampling.BILINEAR), dtype=np.float64) / 255
    small = np.asarray(mask.resize(work, Image.Resampling.BILINEAR))
    structure = np.ones((_ERODE, _ERODE), dtype=bool)
    trimap = np.full(small.shape, 128, dtype=np.uint8)
    trimap[binary_erosion(small > _FOREGROUND, structure=structure)] = 255
    trimap[binary_erosion(small < _BACKGROUND, structure=structure, border_value=1)] = 0
    if not (trimap == 255).any() or not (trimap == 0).any():
        return None
    alpha = estimate_alpha_cf(rgb, trimap / 255.0)
    matted = Image.fromarray(np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8))
    # Full-resolution result: the matted alpha in the uncertain band, the trimap elsewhere.
    band = Image.fromarray(trimap == 128).resize(image.size, Image.Resampling.NEAREST)
    certain = Image.fromarray(trimap).resize(image.size, Image.Resampling.NEAREST)
    return Image.composite(matted.resize(image.size, Image.Resampling.BILINEAR), certain, band)


def decontaminate(image: Image.Image, alpha: Image.Image) -> Image.Image:
    """RGB image whose semi-transparent pixels carry the estimated pure foreground colour."""
    from pymatting import estimate_foreground_ml

    work = _work_size(image.size)
    rgb = image.convert("RGB")
    small = np.asarray(rgb.resize(work, Image.Resampling.BILINEAR), dtype=np.float64) / 255
    small_alpha = np.asarray(alpha.resize(work, Image.Resampling.BILINEAR), dtype=np.float64) / 255
    foreground = estimate_foreground_ml(small, small_alpha)
    foreground = Image.fromarray(np.clip(foreground * 255 + 0.5, 0, 255).astype(np.uint8))
    edge = alpha.point([0] + [255] * 254 + [0])
    return Image.composite(foreground.resize(image.size, Image.Resampling.BILINEAR), rgb, edge)


def _work_size(size: tuple[int, int]) -> tuple[int, int]:
    scale = min(1.0, math.sqrt(MATTING_MAX_PIXELS / (size[0] * size[1])))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))
