"""Output options added for remove.bg's API: JPEG, a margin in % of the subject, a pixel cap, and
the subject's box in the result."""

import io

import pytest
from PIL import Image

from bgr_core.work.output_options import OutputOptions
from cutout import outputs


def subject(size=(200, 100), box=(50, 20, 150, 80)):
    """An RGB picture and an alpha with an opaque rectangle `box` as the subject."""
    image = Image.new("RGB", size, (10, 200, 30))
    alpha = Image.new("L", size, 0)
    alpha.paste(255, box)
    return image, alpha


def test_jpeg_is_flattened_on_white_unless_a_colour_is_given():
    image, alpha = subject()
    picture = outputs.compose(image, alpha, OutputOptions(format="jpg"))
    assert picture.mode == "RGB" and picture.getpixel((0, 0)) == (255, 255, 255)
    encoded = outputs.encode(picture, "jpg")
    assert encoded.content_type == "image/jpeg" and Image.open(io.BytesIO(encoded.data)).format == "JPEG"
    image, alpha = subject()
    on_red = outputs.compose(image, alpha, OutputOptions(format="jpg", bg_color="#ff0000"))
    assert on_red.getpixel((0, 0)) == (255, 0, 0)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_a_cutout_keeps_colour_only_where_something_shows(mode):
    image, alpha = subject()
    image = image.convert(mode)
    alpha.paste(1, (150, 20, 160, 80))  # barely there: still the subject's colour
    picture = outputs.compose(image, alpha, OutputOptions())
    assert picture.mode == "RGBA" and picture.size == image.size
    assert picture.getpixel((0, 0)) == (0, 0, 0, 0)
    assert picture.getpixel((155, 50)) == (10, 200, 30, 1)
    assert picture.getpixel((100, 50)) == (10, 200, 30, 255)


def test_a_margin_in_percent_is_of_the_subject_s_longer_side():
    _, alpha = subject()
    options = OutputOptions(crop=True, margin=10, margin_unit="%")  # 10 % of 100 px: 10 px
    assert outputs.crop_box(alpha, options) == (40, 10, 160, 90)
    assert outputs.crop_box(alpha, OutputOptions(crop=True, margin=10)) == (40, 10, 160, 90)
    assert outputs.crop_box(alpha, OutputOptions()) is None


def test_the_foreground_box_is_in_the_result_s_coordinates():
    _, alpha = subject()
    assert outputs.foreground(alpha, OutputOptions()) == (50, 20, 100, 60)
    assert outputs.foreground(alpha, OutputOptions(crop=True, margin=5)) == (5, 5, 100, 60)
    assert outputs.foreground(Image.new("L", (10, 10), 0), OutputOptions()) is None


def test_fit_scales_down_to_the_pixel_cap_never_up():
    picture = Image.new("RGBA", (1000, 500))
    small, box = outputs.fit(picture, (100, 50, 400, 200), 125_000)
    assert small.width * small.height <= 125_000 and small.size == (500, 250)
    assert box == (50, 25, 200, 100)
    same, box = outputs.fit(picture, None, 10_000_000)
    assert same is picture and box is None
