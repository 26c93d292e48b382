"""How far a cutout is from the ground truth (alphas in [0, 1], colours 0-255).

- iou: masks at α ≥ 0.5.
- sad: Σ|Δα| / 1000 per megapixel (the matting literature's SAD, scaled so sizes compare).
- grad: Σ(|∇α̂| − |∇α|)² / 1000 per megapixel, Gaussian derivatives σ = 1.4 (Rhemann et al.).
- edge: mean |Δα| in the edge band: the true alpha's soft pixels and its 0.5 contour, widened
  by 0.5 % of the image's diagonal (≥ 4 px).
- fg: mean |F̂ − F| over the edge band where both see the subject, weighted by α̂·α: the colour
  a user gets where the subject meets its old background (decontamination's job).
- halo: the cutout and the truth each laid on a new background — the old background's mean
  colour turned inside out, the case where leftover background shows most — mean |Δ| over the
  band's outer side (true α < 0.5): old background carried out with the subject.
"""

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter

FIELDS = ("iou", "sad", "grad", "edge", "fg", "halo")


def band(alpha: np.ndarray) -> np.ndarray:
    soft = (alpha > 0.01) & (alpha < 0.99)
    hard = (alpha >= 0.5).astype(np.uint8)
    contour = cv2.morphologyEx(hard, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)).astype(bool)
    radius = max(4, round(0.005 * float(np.hypot(*alpha.shape))))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate((soft | contour).astype(np.uint8), kernel).astype(bool)


def measure(
    alpha: np.ndarray, foreground: np.ndarray, image: np.ndarray, got_alpha: np.ndarray, got_rgb: np.ndarray
) -> dict[str, float]:
    """`alpha`, `foreground`: the truth; `image`: the composite (RGB); `got_*`: the cutout's."""
    megapixels = alpha.size / 1e6
    diff = np.abs(got_alpha - alpha)
    truth, got = alpha >= 0.5, got_alpha >= 0.5
    edge = band(alpha)
    weight = (got_alpha * alpha)[edge]
    colour_error = np.abs(got_rgb[edge].astype(np.float32) - foreground[edge]).mean(axis=1)
    outer = edge & (alpha < 0.5)
    new_bg = 255 - image[~edge & (alpha == 0)].reshape(-1, 3).mean(axis=0) if (alpha == 0).any() else 128
    return {
        "iou": float((truth & got).sum() / max(1, (truth | got).sum())),
        "sad": float(diff.sum() / 1000 / megapixels),
        "grad": float(((_gradient(got_alpha) - _gradient(alpha)) ** 2).sum() / 1000 / megapixels),
        "edge": float(diff[edge].mean()),
        "fg": float((colour_error * weight).sum() / max(weight.sum(), 1e-6)),
        "halo": float(
            np.abs(
                _over(got_alpha[outer], got_rgb[outer], new_bg)
                - _over(alpha[outer], foreground[outer], new_bg)
            ).mean()
        ),
    }


def _gradient(alpha: np.ndarray) -> np.ndarray:
    dx = gaussian_filter(alpha, 1.4, order=(0, 1))
    dy = gaussian_filter(alpha, 1.4, order=(1, 0))
    return np.hypot(dx, dy)


def _over(alpha: np.ndarray, rgb: np.ndarray, background) -> np.ndarray:
    return alpha[:, None] * rgb.astype(np.float32) + (1 - alpha[:, None]) * np.asarray(background, np.float32)
