"""Real cutouts with the real u2netp weights: subject kept, background dropped, options honoured."""

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cutout_samples import alpha_of, encoded, iou, jpeg
from PIL import Image

from bgr_core.platform.config import Settings
from bgr_core.platform.errors import ModelNotReady
from bgr_core.work.output_options import OutputOptions
from cutout import outputs, pipeline, segment

# /tmp inside the test's bwrap sandbox: its own fresh tmpfs, not this machine's (bandit B108)
SANDBOX_TMP = "/tmp"  # nosec B108


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture(scope="module")
def cat_jpeg(cat) -> bytes:
    return jpeg(cat)


@pytest.fixture(scope="module")
def cat_cutout(cat_jpeg) -> pipeline.CutoutResult:
    return pipeline.run(cat_jpeg, "basic")


@pytest.mark.slow
def test_photo_cutout_keeps_the_subject_and_drops_the_background(cat_cutout, cat_jpeg):
    image = opened(cat_cutout.image)
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (451, 300))
    assert (cat_cutout.content_type, cat_cutout.extension) == ("image/png", "png")
    assert (cat_cutout.width, cat_cutout.height, cat_cutout.original_size) == (451, 300, len(cat_jpeg))
    assert (cat_cutout.model_name, cat_cutout.refinement) == ("u2netp", "cleanup")
    alpha = alpha_of(cat_cutout.image)
    assert alpha[150, 225] == 255  # the cat's face
    assert alpha[5, 5] == 0 and alpha[5, 445] == 0  # the wall above it
    assert 0.3 < (alpha >= 128).mean() < 0.9
    assert set(cat_cutout.timings) == {"decode", "segment", "refine", "encode"}
    assert cat_cutout.processing_ms >= 1


@pytest.mark.slow
def test_visible_colours_are_the_photo_s_own_and_the_removed_background_is_gone(cat_cutout, cat_jpeg):
    cutout = np.asarray(opened(cat_cutout.image))
    visible = cutout[..., 3] > 0
    photo = np.asarray(Image.open(io.BytesIO(cat_jpeg)).convert("RGB"))
    assert np.array_equal(cutout[visible, :3], photo[visible])
    assert not cutout[~visible].any() and (~visible).any()


@pytest.mark.slow
def test_thumbnail_is_a_256px_webp(cat_cutout):
    thumb = opened(cat_cutout.thumbnail)
    assert (thumb.format, thumb.mode, thumb.size) == ("WEBP", "RGBA", (256, 170))


@pytest.mark.slow
@pytest.mark.parametrize("photo", ["cat", "astronaut", "coffee"])
def test_basic_mask_matches_rembg(photo, request):
    import rembg

    data = jpeg(request.getfixturevalue(photo))
    session = rembg.new_session("u2netp")
    ours = alpha_of(pipeline.run(data, "basic").image)
    theirs = alpha_of(rembg.remove(data, session=session))
    assert iou(ours, theirs) >= 0.99


@pytest.mark.slow
def test_mask_only(cat_jpeg, cat_cutout):
    result = pipeline.run(cat_jpeg, "basic", OutputOptions(channels="alpha"))
    mask = opened(result.image)
    assert (mask.format, mask.mode, mask.size) == ("PNG", "L", (451, 300))
    assert np.array_equal(np.asarray(mask), alpha_of(cat_cutout.image))


@pytest.mark.slow
def test_webp_output(cat_jpeg, cat_cutout):
    result = pipeline.run(cat_jpeg, "basic", OutputOptions(format="webp"))
    image = opened(result.image)
    assert (result.content_type, result.extension) == ("image/webp", "webp")
    assert (image.format, image.mode, image.size) == ("WEBP", "RGBA", (451, 300))
    assert iou(alpha_of(result.image), alpha_of(cat_cutout.image)) > 0.99


@pytest.mark.slow
def test_background_colour_flattens_to_rgb(cat_jpeg, cat_cutout):
    result = pipeline.run(cat_jpeg, "basic", OutputOptions(bg_color="#00ff00"))
    image = opened(result.image)
    assert (image.mode, image.size) == ("RGB", (451, 300))
    assert image.getpixel((5, 5)) == (0, 255, 0)  # was transparent
    cat = Image.open(io.BytesIO(cat_jpeg)).convert("RGB")
    assert image.getpixel((225, 150)) == cat.getpixel((225, 150))  # was opaque


@pytest.mark.slow
def test_crop_to_the_subject_with_a_margin(cat_jpeg, cat_cutout):
    alpha = Image.fromarray(alpha_of(cat_cutout.image))
    left, top, right, bottom = alpha.point(lambda v: 255 if v >= 8 else 0).getbbox()
    result = pipeline.run(cat_jpeg, "basic", OutputOptions(crop=True, margin=5))
    expected = (min(451, right + 5) - max(0, left - 5), min(300, bottom + 5) - max(0, top - 5))
    assert opened(result.image).size == (result.width, result.height) == expected
    assert expected != (451, 300)
    assert max(opened(result.thumbnail).size) == 256


@pytest.mark.slow
def test_webp_mask_with_crop(cat_jpeg):
    result = pipeline.run(cat_jpeg, "basic", OutputOptions(format="webp", channels="alpha", crop=True))
    image = opened(result.image)
    assert image.format == "WEBP" and image.size == (result.width, result.height) != (451, 300)


@pytest.mark.slow
def test_existing_transparency_stays_transparent(cat):
    rgba = cat.convert("RGBA")
    rgba.putalpha(Image.new("L", cat.size, 255).crop((0, 0, 451, 300)))
    rgba.paste((0, 0, 0, 0), (0, 0, 200, 300))
    alpha = alpha_of(pipeline.run(encoded(rgba, "PNG"), "basic").image)
    assert alpha[:, :200].max() == 0 and alpha[150, 300] == 255


@pytest.mark.slow
def test_rotated_photo_comes_out_upright(cat):
    exif = Image.Exif()
    exif[0x0112] = 6
    result = pipeline.run(jpeg(cat, exif=exif), "basic")
    assert opened(result.image).size == (300, 451) == (result.width, result.height)


@pytest.mark.slow
def test_unprovisioned_tier_model_runs_the_fallback_and_says_so(cat_jpeg):
    result = pipeline.run(cat_jpeg, "standard")  # isnet-general-use is not provisioned here
    assert (result.model_name, result.refinement) == ("u2netp", "cleanup")


def test_no_model_at_all_is_not_ready(cat_jpeg, tmp_path, monkeypatch):
    monkeypatch.setenv("U2NET_HOME", str(tmp_path))
    with pytest.raises(ModelNotReady):
        pipeline.run(cat_jpeg, "basic")


def test_models_are_found_where_rembg_keeps_them(tmp_path):
    source = pipeline.get_settings().model_file("u2netp")
    nested = tmp_path / "models" / "u2netp" / "u2netp.onnx"
    nested.parent.mkdir(parents=True)
    shutil.copy(source, nested)
    settings = Settings(U2NET_HOME=tmp_path, fallback_model="u2netp")
    assert segment.choose_model(settings, "isnet-general-use") == ("u2netp", nested)
    shutil.copy(source, tmp_path / "u2netp.onnx")
    settings = Settings(U2NET_HOME=tmp_path, fallback_model="u2net")
    assert segment.choose_model(settings, "u2netp") == ("u2netp", tmp_path / "u2netp.onnx")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tier", "refinement"), [("professional", "matting"), ("industry", "matting+decontaminate")]
)
def test_matting_tiers_refine_the_edges(cat, tier, refinement):
    small = jpeg(cat.resize((300, 200)))
    result = pipeline.run(small, tier)
    assert (result.model_name, result.refinement) == ("u2netp", refinement)
    alpha = alpha_of(result.image)
    assert alpha[100, 150] == 255 and alpha[3, 3] == 0
    assert ((alpha > 0) & (alpha < 255)).any()  # soft edges, not a hard threshold


def test_outputs_that_do_not_decode_are_refused():
    with pytest.raises(outputs.OutputCheckFailed):
        outputs.verify(b"\x89PNG", "png", (10, 10), "RGBA")
    good = encoded(Image.new("RGBA", (10, 10)), "PNG")
    with pytest.raises(outputs.OutputCheckFailed):
        outputs.verify(good[:-20], "png", (10, 10), "RGBA")  # truncated
    with pytest.raises(outputs.OutputCheckFailed):
        outputs.verify(good, "png", (10, 11), "RGBA")
    outputs.verify(good, "png", (10, 10), "RGBA")


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_a_fully_opaque_cutout_encodes(fmt):
    # libwebp drops an alpha channel that is opaque everywhere: still a valid output
    opaque = Image.new("RGBA", (300, 200), (10, 200, 30, 255))
    result = outputs.encode(opaque, fmt)
    assert Image.open(io.BytesIO(result.data)).size == (300, 200)
    assert Image.open(io.BytesIO(outputs.thumbnail(opaque))).size == (256, 171)


@pytest.mark.slow
def test_no_tier_imports_a_jit_or_writes_outside_tmp(cat_jpeg):
    """Every tier's first cutout in a fresh process imports neither rembg nor pymatting nor numba
    (NOTES: rembg), prints nothing to stderr, and, where bubblewrap is installed, runs on a
    read-only filesystem with only /tmp writable, as in Lambda."""
    script = (
        "import sys\n"
        "from cutout import pipeline\n"
        "photo = sys.stdin.buffer.read()\n"
        "for tier in ('basic', 'standard', 'professional', 'industry'):\n"
        "    print(tier, pipeline.run(photo, tier).refinement)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'rembg', 'pymatting', 'numba'}))\n"
    )
    root = Path(__file__).resolve().parents[3]
    sandbox = []
    if bwrap := shutil.which("bwrap"):
        sandbox = [bwrap, "--ro-bind", "/", "/", "--tmpfs", SANDBOX_TMP, "--dev", "/dev", "--proc", "/proc"]
        # the checkout again, read-only, in case it lives under /tmp (a CI clone may)
        sandbox += ["--ro-bind", str(root), str(root), "--setenv", "HOME", "/nonexistent"]
    path = os.pathsep.join(str(root / p) for p in ("layers/core", "functions/inference"))
    done = subprocess.run(
        [*sandbox, sys.executable, "-c", script],
        input=cat_jpeg,
        env=os.environ | {"PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        check=True,
    )
    assert done.stdout.decode().splitlines() == [
        "basic cleanup",
        "standard cleanup",
        "professional matting",
        "industry matting+decontaminate",
        "[]",
    ]
    assert done.stderr == b""


@pytest.mark.parametrize("size", [(1600, 1600), (1962, 1305), (867, 577), (33, 1001)])
def test_the_model_input_is_exactly_rembgs_resize(size):
    pixels = np.random.default_rng(7).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    whole = image.resize((320, 320), Image.Resampling.LANCZOS)
    assert np.array_equal(np.asarray(segment._resize(image, 320)), np.asarray(whole))
