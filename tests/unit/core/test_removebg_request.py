import base64

import pytest

from bgr_core import removebg

B64 = base64.b64encode(b"\xff\xd8\xff image").decode()


def parse(**fields):
    return removebg.parse({"image_file_b64": B64, **fields}, {})


def test_defaults_are_remove_bg_s():
    req = parse()
    assert (req.source, req.tier, req.size, req.type) == ("image_file_b64", "basic", "auto", "auto")
    assert req.image == b"\xff\xd8\xff image" and req.reported_type == "other"
    assert req.options.format == "png" and req.options.max_pixels is None
    assert req.credits_per_image == 3


@pytest.mark.parametrize(
    ("size", "pixels", "tier", "credits"),
    [
        ("preview", 250_000, "basic", 1),
        ("regular", 250_000, "standard", 2),
        ("small", 250_000, "professional", 4),
        ("preview", 250_000, "industry", 7),
        ("medium", 1_500_000, "basic", 3),
        ("hd", 4_000_000, "basic", 3),
        ("4k", 10_000_000, "standard", 8),
        ("full", None, "industry", 25),
        ("AUTO", None, "basic", 3),
    ],
)
def test_sizes_cap_the_output_and_a_preview_costs_a_quarter_rounded_up(size, pixels, tier, credits):
    req = parse(size=size, tier=tier)
    assert req.options.max_pixels == pixels and req.credits_per_image == credits


def test_format_auto_is_png_unless_flattened_and_a_mask_stays_png():
    assert parse(bg_color="#81d4fa").options.format == "jpg"
    assert parse(bg_color="81d4fa", channels="alpha").options.format == "png"
    assert parse(format="jpg", channels="alpha").options.format == "png"
    assert parse(format="webp").options.format == "webp"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("green", "#008000"), ("fff", "#ffffff"), ("#81D4FA", "#81d4fa"), ("81d4faff", "#81d4fa")],
)
def test_bg_color_takes_hex_and_colour_names(given, expected):
    assert parse(bg_color=given).options.bg_color == expected


@pytest.mark.parametrize(
    ("given", "margin", "unit"), [("30px", 30, "px"), ("12", 12, "px"), ("10%", 10, "%"), (0, 0, "px")]
)
def test_crop_margin_in_px_or_percent(given, margin, unit):
    options = parse(crop="true", crop_margin=given).options
    assert options.crop and (options.margin, options.margin_unit) == (margin, unit)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"size": "huge"}, "invalid_parameter"),
        ({"type": "spaceship"}, "invalid_parameter"),
        ({"format": "zip"}, "invalid_parameter"),
        ({"channels": "rgb"}, "invalid_parameter"),
        ({"tier": "gold"}, "invalid_parameter"),
        ({"crop": "maybe"}, "invalid_parameter"),
        ({"crop_margin": "10px 20px"}, "invalid_parameter"),
        ({"crop_margin": "60%"}, "invalid_parameter"),
        ({"bg_color": "81d4fa77"}, "invalid_parameter"),
        ({"bg_color": "nope"}, "invalid_parameter"),
        ({"roi": "10% 10% 90% 90%"}, "unsupported_parameter"),
        ({"scale": "50%"}, "unsupported_parameter"),
        ({"position": "center"}, "unsupported_parameter"),
        ({"bg_image_url": "https://example.com/bg.jpg"}, "unsupported_parameter"),
        ({"add_shadow": "true"}, "unsupported_parameter"),
        ({"image_url": "https://example.com/a.jpg"}, "multiple_sources"),
        ({"image_file_b64": "not base64!"}, "invalid_parameter"),
    ],
)
def test_unknown_or_unsupported_values_are_400s_naming_them(fields, code):
    with pytest.raises(removebg.RemoveBgError) as refused:
        parse(**fields)
    assert refused.value.status == 400 and refused.value.code == code


def test_defaults_spelled_out_are_accepted_and_unknown_fields_ignored():
    req = parse(roi="0% 0% 100% 100%", scale="original", position="original", add_shadow=False, x_extra="1")
    assert req.options.crop is False


def test_no_image_at_all():
    with pytest.raises(removebg.RemoveBgError) as refused:
        removebg.parse({"size": "preview"}, {})
    assert refused.value.code == "missing_source"


def test_files_and_urls():
    req = removebg.parse({}, {"image_file": ("cat.jpg", b"data")})
    assert (req.source, req.filename, req.image) == ("image_file", "cat.jpg", b"data")
    req = removebg.parse({"image_url": "https://example.com/p/cat.png?x=1"}, {})
    assert (req.source, req.filename, req.image, req.image_url) == (
        "image_url",
        "cat.png",
        None,
        "https://example.com/p/cat.png?x=1",
    )
