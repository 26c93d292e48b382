"""Colour kept (an Adobe RGB photo's profile in every output, what is added converted into it) and
a test key's watermark, through the real pipeline (u2netp)."""

import io
import zipfile

import numpy as np
import pytest
from cutout_samples import adobe_rgb_profile, jpeg
from PIL import Image, ImageCms

from bgr_core.work.output_options import OutputOptions
from cutout import colour, pipeline

ADOBE = adobe_rgb_profile()
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def adobe_photo(cat) -> bytes:
    return jpeg(cat, icc_profile=ADOBE)


def profile(data: bytes) -> bytes | None:
    return Image.open(io.BytesIO(data)).info.get("icc_profile")


@pytest.mark.parametrize("fmt", ["png", "webp", "jpg"])
def test_the_input_s_profile_travels_to_the_output_and_its_thumbnail(adobe_photo, fmt):
    result = pipeline.run(adobe_photo, "basic", OutputOptions(format=fmt))
    assert profile(result.image) == ADOBE
    assert profile(result.thumbnail) == ADOBE
    description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(profile(result.image))))
    assert description.strip() == "Adobe RGB (1998) compatible, test"


def test_a_zip_s_colour_keeps_the_profile_and_its_matte_has_none(adobe_photo):
    result = pipeline.run(adobe_photo, "basic", OutputOptions(format="zip"))
    with zipfile.ZipFile(io.BytesIO(result.image)) as archive:
        assert profile(archive.read("color.jpg")) == ADOBE
        assert profile(archive.read("alpha.png")) is None  # coverage, not colour


def test_a_mask_carries_no_profile_and_an_untagged_input_gets_none(adobe_photo, cat):
    assert profile(pipeline.run(adobe_photo, "basic", OutputOptions(channels="alpha")).image) is None
    assert profile(pipeline.run(jpeg(cat), "basic").image) is None


def test_an_srgb_background_colour_is_converted_into_the_input_s_profile(adobe_photo):
    result = pipeline.run(adobe_photo, "basic", OutputOptions(format="png", bg_color="#ff0000"))
    corner = Image.open(io.BytesIO(result.image)).convert("RGB").getpixel((0, 0))
    assert corner == (219, 0, 0)  # sRGB red, written in Adobe RGB's numbers
    assert colour.colour("#ff0000", None) == (255, 0, 0)


def test_an_unreadable_profile_is_dropped_not_copied(cat):
    broken = jpeg(cat, icc_profile=b"\x00" * 200)
    assert profile(pipeline.run(broken, "basic").image) is None


def test_a_test_key_s_result_is_watermarked_everywhere(cat):
    plain = pipeline.run(jpeg(cat), "basic", OutputOptions(format="jpg"))
    marked = pipeline.run(jpeg(cat), "basic", OutputOptions(format="jpg"), watermark=True)
    a = np.asarray(Image.open(io.BytesIO(plain.image)), dtype=np.int16)
    b = np.asarray(Image.open(io.BytesIO(marked.image)), dtype=np.int16)
    changed = np.abs(a - b).max(axis=2) > 40
    assert 0.015 < changed.mean() < 0.5  # text across it, not a tint of it all
    rows, cols = np.nonzero(changed)
    height, width = changed.shape
    for part in (rows < height / 3, rows > 2 * height / 3, cols < width / 3, cols > 2 * width / 3):
        assert part.any()  # every part of the picture carries some of it
    cutout = Image.open(io.BytesIO(pipeline.run(jpeg(cat), "basic").image)).getchannel("A")
    marked = Image.open(io.BytesIO(pipeline.run(jpeg(cat), "basic", watermark=True).image)).getchannel("A")
    background = np.asarray(cutout) == 0
    shown = np.asarray(marked)[background] > 0
    assert 0.015 < shown.mean() < 0.5  # on a transparent cutout, the text shows where nothing was
