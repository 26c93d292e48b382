import base64

import pytest

from bgr_core.integrations import removebg_request

B64 = base64.b64encode(b"\xff\xd8\xff image").decode()


def parse(**fields):
    return removebg_request.parse({"image_file_b64": B64, **fields}, {})


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
        ({"format": "tiff"}, "invalid_parameter"),
        ({"channels": "rgb"}, "invalid_parameter"),
        ({"tier": "gold"}, "invalid_parameter"),
        ({"crop": "maybe"}, "invalid_parameter"),
        ({"crop_margin": "10px 20px"}, "invalid_parameter"),
        ({"crop_margin": "60%"}, "invalid_parameter"),
        ({"bg_color": "81d4fa77"}, "invalid_parameter"),
        ({"bg_color": "nope"}, "invalid_parameter"),
        ({"roi": "10% 10% 90%"}, "invalid_parameter"),
        ({"roi": "90% 10% 10% 90%"}, "invalid_parameter"),
        ({"roi": "0% 0% 120% 100%"}, "invalid_parameter"),
        ({"scale": "5%"}, "invalid_parameter"),
        ({"scale": "big"}, "invalid_parameter"),
        ({"position": "left"}, "invalid_parameter"),
        ({"position": "10% 20% 30%"}, "invalid_parameter"),
        ({"shadow_type": "3D"}, "unsupported_parameter"),
        ({"shadow_type": "car"}, "unsupported_parameter"),
        ({"shadow_type": "neon"}, "invalid_parameter"),
        ({"shadow_opacity": "150"}, "invalid_parameter"),
        ({"bg_image_url": "https://example.com/bg.jpg", "bg_color": "red"}, "invalid_parameter"),
        ({"bg_image_url": "ftp://example.com/bg.jpg"}, "invalid_parameter"),
        ({"image_url": "https://example.com/a.jpg"}, "multiple_sources"),
        ({"image_file_b64": "not base64!"}, "invalid_parameter"),
    ],
)
def test_unknown_or_unsupported_values_are_400s_naming_them(fields, code):
    with pytest.raises(removebg_request.RemoveBgError) as refused:
        parse(**fields)
    assert refused.value.status == 400 and refused.value.code == code


def test_defaults_spelled_out_are_accepted_and_unknown_fields_ignored():
    req = parse(roi="0% 0% 100% 100%", scale="original", position="original", add_shadow=False, x_extra="1")
    assert req.options.crop is False


def test_remove_bg_s_options_read_into_output_options():
    options = parse(
        roi="10px 20px 50% 100%",
        scale="50%",
        position="0% 100%",
        shadow_type="drop",
        shadow_opacity="30",
        format="zip",
        bg_image_url="https://example.com/bg.jpg",
    ).options
    assert (options.roi, options.scale, options.position) == ("10px 20px 50% 100%", 50, "0% 100%")
    assert (options.shadow_type, options.shadow_opacity, options.format) == ("drop", 30, "zip")
    assert options.bg_image_url == "https://example.com/bg.jpg" and options.placement == (0.0, 1.0)
    assert parse(scale="40%").options.placement == (0.5, 0.5)  # scaling implies center
    assert parse(scale="40%", position="original").options.placement is None
    assert parse(add_shadow="true").options.shadow_type == "auto"  # deprecated: a drop shadow
    assert parse(bg_image_url="https://example.com/bg.jpg").options.format == "jpg"  # auto: opaque


def test_the_shadow_refusal_names_what_is_supported():
    with pytest.raises(removebg_request.RemoveBgError) as refused:
        parse(shadow_type="3D")
    assert "none, drop, auto" in refused.value.detail and refused.value.details["field"] == "shadow_type"


def test_a_background_file_comes_with_the_request():
    req = removebg_request.parse({}, {"image_file": ("cat.jpg", b"data"), "bg_image_file": ("bg.png", b"bg")})
    assert req.background == b"bg" and req.options.format == "jpg"
    with pytest.raises(removebg_request.RemoveBgError) as refused:
        removebg_request.parse(
            {"bg_image_url": "https://e.com/b.jpg"}, {"image_file": ("a", b"1"), "bg_image_file": ("b", b"2")}
        )
    assert refused.value.code == "multiple_sources"


def test_no_image_at_all():
    with pytest.raises(removebg_request.RemoveBgError) as refused:
        removebg_request.parse({"size": "preview"}, {})
    assert refused.value.code == "missing_source"


def test_files_and_urls():
    req = removebg_request.parse({}, {"image_file": ("cat.jpg", b"data")})
    assert (req.source, req.filename, req.image) == ("image_file", "cat.jpg", b"data")
    req = removebg_request.parse({"image_url": "https://example.com/p/cat.png?x=1"}, {})
    assert (req.source, req.filename, req.image, req.image_url) == (
        "image_url",
        "cat.png",
        None,
        "https://example.com/p/cat.png?x=1",
    )
