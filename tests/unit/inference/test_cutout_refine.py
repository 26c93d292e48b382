"""The matting tiers' refinement against ground truth: composites with known alpha and colour
(bench/composites.py draws them), and a known-colour subject on a saturated green screen."""

import io

import cv2
import numpy as np
import pytest
from cutout_samples import jpeg
from PIL import Image

from bench import composites, metrics
from cutout import pipeline, refine

GREEN, ORANGE = (0, 177, 64), (210, 120, 50)


def composite(subject: str, background: str, seed: int = 3) -> composites.Composite:
    spec = composites.Spec(f"{subject}-{background}", subject, background, 640, 480, seed, ())
    return composites.draw(spec)


def pixels(c: composites.Composite) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(c.jpeg)).convert("RGB"))


def coarse(alpha: np.ndarray) -> Image.Image:
    """What a segmentation model sees: the alpha at 320 px, scaled back up (a blurred edge)."""
    small = cv2.resize(alpha, (320, 240), interpolation=cv2.INTER_AREA)
    return Image.fromarray(np.round(cv2.resize(small, alpha.shape[::-1]) * 255).astype(np.uint8))


def score(c: composites.Composite, alpha: Image.Image, rgb: np.ndarray) -> dict[str, float]:
    got = np.asarray(alpha, dtype=np.float32) / 255
    return metrics.measure(c.alpha, c.foreground, pixels(c), got, rgb)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("subject", "background"), [("fur", "photo_blur"), ("horse", "photo_blur"), ("product", "texture")]
)
def test_matting_brings_a_coarse_mask_closer_to_the_true_edge(subject, background):
    c = composite(subject, background)
    mask = coarse(c.alpha)
    matted = refine.matte(Image.fromarray(pixels(c)), mask)
    before, after = score(c, mask, pixels(c)), score(c, matted, pixels(c))
    assert after["edge"] < before["edge"] and after["sad"] < before["sad"]


@pytest.mark.slow
def test_matting_recovers_fur_hairs_from_a_blurred_mask():
    c = composite("fur", "photo_blur")
    mask = coarse(c.alpha)
    before = score(c, mask, pixels(c))
    after = score(c, refine.matte(Image.fromarray(pixels(c)), mask), pixels(c))
    assert after["edge"] < 0.5 * before["edge"]


@pytest.mark.slow
def test_matting_keeps_the_certain_inside_and_outside():
    c = composite("fur", "studio_colour")
    mask = coarse(c.alpha)
    matted = np.asarray(refine.matte(Image.fromarray(pixels(c)), mask))
    far = np.ones((15, 15), np.uint8)  # well away from the mask's edge
    inside = cv2.erode((np.asarray(mask) == 255).astype(np.uint8), far).astype(bool)
    outside = cv2.erode((np.asarray(mask) == 0).astype(np.uint8), far).astype(bool)
    assert inside.any() and outside.any()
    assert (matted[inside] == 255).all() and (matted[outside] == 0).all()


def test_no_uncertain_band_means_no_matting():
    image = Image.new("RGB", (64, 48), GREEN)
    assert refine.matte(image, Image.new("L", (64, 48), 255)) is None
    assert refine.matte(image, Image.new("L", (64, 48), 0)) is None


@pytest.mark.slow
@pytest.mark.parametrize("background", composites.BACKGROUNDS)
@pytest.mark.parametrize("subject", composites.SUBJECTS)
def test_decontamination_lowers_colour_error_and_halo(subject, background):
    """On the true alpha, so that only the colour is judged: every kind of subject on every kind
    of background comes out nearer its true colour, with less of the old background around it."""
    c = composite(subject, background)
    alpha = Image.fromarray(np.round(c.alpha * 255).astype(np.uint8))
    before = score(c, alpha, pixels(c))
    after = score(c, alpha, np.asarray(refine.decontaminate(Image.fromarray(pixels(c)), alpha)))
    assert after["fg"] < before["fg"]
    assert after["halo"] < before["halo"]


def green_screen_disc(size=(600, 400)) -> tuple[Image.Image, np.ndarray]:
    """A solid orange disc with anti-aliased edges on chroma-key green, and where it is opaque."""
    cover = np.zeros(size[::-1], np.uint8)
    cv2.circle(cover, (size[0] // 2, size[1] // 2), 150 * 16, 255, -1, cv2.LINE_AA, 4)
    a = cover[..., None].astype(np.float32) / 255
    image = a * np.float32(ORANGE) + (1 - a) * np.float32(GREEN)
    return Image.fromarray(np.round(image).astype(np.uint8)), cover == 255


@pytest.mark.slow
def test_decontamination_never_tints_an_opaque_subject():
    image, opaque = green_screen_disc()
    # A mask softer than the truth: semi-transparent far inside the solid disc.
    soft = cv2.GaussianBlur(opaque.astype(np.float32), (0, 0), 12)
    alpha = Image.fromarray(np.round(soft * 255).astype(np.uint8))
    out = np.asarray(refine.decontaminate(image, alpha)).astype(int)
    seen = opaque & (soft > 0)
    assert np.abs(out[seen] - ORANGE).max() <= 2


@pytest.mark.slow
def test_industry_on_a_green_screen_keeps_the_subject_s_colour():
    image, opaque = green_screen_disc()
    result = pipeline.run(jpeg(image), "industry")
    assert result.refinement == "matting+decontaminate"
    cutout = np.asarray(Image.open(io.BytesIO(result.image))).astype(int)
    seen = opaque & (cutout[..., 3] > 0)
    error = np.abs(cutout[seen, :3] - ORANGE)
    assert error.mean() < 4 and np.percentile(error, 99) < 16  # JPEG's own error, no tint
    assert (cutout[~opaque & (cutout[..., 3] > 0), 1] < 177).all()  # no green carried out


def test_the_band_reads_a_smaller_array_as_if_it_were_scaled_up():
    """remap at the band's points places pixel centres as cv2.resize does, past remap's 32767-a-side
    limit, and reads an array of the band's own size exactly."""
    ys, xs = np.mgrid[:300, :400].astype(np.float32)
    small = np.dstack([np.sin(xs / 40), np.cos(ys / 30), xs * ys / 120_000])  # smooth, 3 channels
    mask = np.zeros((900, 1200), bool)
    mask[::2, ::3] = True  # 180,000 points
    band = refine._Band(mask)
    scaled = cv2.resize(small, (1200, 900), interpolation=cv2.INTER_LINEAR)[mask]
    assert np.abs(band.read(small) - scaled).max() < 2e-3
    full = cv2.resize(small[..., 0], (1200, 900))
    assert np.array_equal(band.read(full), full[mask])
