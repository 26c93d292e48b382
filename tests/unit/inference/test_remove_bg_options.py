"""remove.bg's options in the output stage, each checked against its documented meaning on a
synthetic picture whose answer is known: a subject at a known box on a 400×300 canvas."""

import io
import zipfile

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from bgr_core.work.output_options import OutputOptions
from cutout import outputs

SIZE = (400, 300)
BOX = (100, 50, 300, 250)  # 200×200


def subject(box=BOX):
    image = Image.new("RGB", SIZE, (0, 0, 255))  # a blue background the cutout must lose
    image.paste((220, 40, 40), box)
    alpha = Image.new("L", SIZE, 0)
    alpha.paste(255, box)
    return image, alpha


def render(**options):
    image, alpha = subject()
    return outputs.render(image, alpha, OutputOptions(**options))


def alpha_box(picture):
    return picture.getchannel("A").getbbox()


def test_an_roi_outside_the_subject_leaves_an_empty_cutout_and_inside_it_cuts_it():
    picture, box = render(roi="0px 0px 90px 300px")
    assert box is None and picture.getchannel("A").getextrema() == (0, 0)
    picture, box = render(roi="50% 0% 100% 100%")  # the right half: x ≥ 200
    assert alpha_box(picture) == (200, 50, 300, 250) and box == (200, 50, 100, 200)
    assert OutputOptions(roi="0% 0% 100% 100%").plain  # the default region is no option at all


def test_scale_sizes_the_subject_s_larger_side_as_a_share_of_the_canvas_and_centres_it():
    # the subject's larger side relative to the canvas is 200/300; 1/3 of the canvas halves it
    picture, box = render(scale=33)
    width, height = box[2], box[3]
    assert (width, height) == (99, 99)
    assert abs(box[0] - (400 - 99) / 2) <= 1 and abs(box[1] - (300 - 99) / 2) <= 1
    assert alpha_box(picture) == (box[0], box[1], box[0] + width, box[1] + height)
    _, full = render(scale=100)  # the larger side fills the canvas's height
    assert full[3] == 300 and full[1] == 0 and abs(full[0] - 50) <= 1


def test_position_moves_the_subject_within_the_free_space():
    _, corner = render(position="0% 0%")
    assert corner == (0, 0, 200, 200)
    _, other = render(position="100% 100%")
    assert other == (200, 100, 200, 200)
    _, one_value = render(position="50%")  # one value: both axes
    assert one_value == (100, 50, 200, 200)
    _, scaled_in_corner = render(scale=50, position="0% 0%")
    assert scaled_in_corner == (0, 0, 150, 150)


def test_a_drop_shadow_falls_below_right_of_the_subject_at_its_opacity():
    picture, box = render(shadow_type="drop", shadow_opacity=60)
    assert box == (100, 50, 200, 200)  # the subject's box, not the shadow's
    a = np.asarray(picture.getchannel("A"))
    assert a[150, 200] == 255  # the subject is untouched
    beside = a[200, 303:312]  # just right of the subject, in the shadow's offset
    assert 0 < beside.max() <= 0.6 * 255 + 1
    assert a[10, 10] == 0 and a[45, 150] < a[255, 200]  # nothing above-left; more below
    rgb = np.asarray(picture.convert("RGB"))
    assert tuple(rgb[200, 305]) == (0, 0, 0)  # a shadow is black
    auto, _ = render(shadow_type="auto", shadow_opacity=60)
    assert np.array_equal(np.asarray(auto), np.asarray(picture))
    none, _ = render(shadow_type="drop", shadow_opacity=0)
    assert alpha_box(none) == BOX


def test_a_background_image_fills_the_canvas_centred_keeping_its_aspect():
    # 800×300: scaled to 800×300 (height fits), the middle 400 columns kept
    scenery = Image.new("RGB", (800, 300), (0, 200, 0))
    scenery.paste((250, 250, 0), (200, 0, 600, 300))  # only the middle 400 px are yellow
    image, alpha = subject()
    picture, _ = outputs.render(image, alpha, OutputOptions(format="jpg"), scenery)
    assert picture.mode == "RGB" and picture.size == SIZE
    assert picture.getpixel((0, 0)) == (250, 250, 0) and picture.getpixel((399, 299)) == (250, 250, 0)
    assert picture.getpixel((200, 150)) == (220, 40, 40)
    small = Image.new("RGB", (40, 60), (0, 0, 0))
    small.paste((255, 255, 255), (0, 0, 40, 30))  # top half white: scaled to 400×600, the middle kept
    picture, _ = outputs.render(image, alpha, OutputOptions(), small)
    assert picture.getpixel((5, 5)) == (255, 255, 255) and picture.getpixel((5, 295)) == (0, 0, 0)


def test_a_zip_holds_color_jpg_and_alpha_png_at_the_output_resolution():
    picture, _ = render(format="zip")
    encoded = outputs.encode(picture, "zip")
    assert encoded.content_type == "application/zip" and encoded.extension == "zip"
    with zipfile.ZipFile(io.BytesIO(encoded.data)) as archive:
        assert sorted(archive.namelist()) == ["alpha.png", "color.jpg"]
        color = Image.open(io.BytesIO(archive.read("color.jpg")))
        matte = Image.open(io.BytesIO(archive.read("alpha.png")))
    assert (color.format, color.mode, color.size) == ("JPEG", "RGB", SIZE)
    assert (matte.format, matte.mode, matte.size) == ("PNG", "L", SIZE)
    assert matte.getbbox() == BOX
    red, green, blue = color.getpixel((200, 150))
    assert red > 200 and green < 70 and blue < 70


@pytest.mark.parametrize(
    "options",
    [
        {"bgColor": "#ffffff", "bgImageUrl": "https://example.com/a.jpg"},
        {"scale": 5},
        {"scale": 101},
        {"position": "120% 0%"},
        {"position": "left"},
        {"roi": "0 0 10 10"},
        {"shadowType": "3D"},
        {"shadowOpacity": 101},
        {"bgImageUrl": "file:///etc/passwd"},
    ],
)
def test_out_of_range_options_are_refused(options):
    with pytest.raises(ValidationError):
        OutputOptions.model_validate(options)
