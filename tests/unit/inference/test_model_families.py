"""Every model family in cutout.segment.MODELS run for real: a tiny ONNX model with the family's
signature (input name and square side, several outputs of which the first is the mask,
probabilities or logits) built with onnx.helper, then the real preprocessing, onnxruntime session
and post-processing. Only u2netp's weights can be had here; these catch what would otherwise
first fail in production: a wrong side, normalisation, output or missing sigmoid, a transposed or
flipped mask."""

import io

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from PIL import Image

from cutout import pipeline, segment

# family -> (input name, the mask output's name): what rembg's sessions and the published
# files use; the preprocessing (side, mean, std, sigmoid) comes from MODELS itself.
SIGNATURES = {
    "u2net": ("input.1", "1959"),
    "isnet": ("input_image", "output_image"),
    "birefnet": ("input_image", "output_image"),
}
WIDTH, HEIGHT = 160, 96  # not square: a transposed mask cannot pass
SUBJECT = (slice(0, 48), slice(0, 80))  # rows, columns: the photo's bright top-left block


def family(name: str) -> str:
    return next(f for f in SIGNATURES if name.startswith(f) or (f == "u2net" and name == "silueta"))


def tiny_model(path, name: str) -> None:
    """Brightness (the channel mean of the normalised input) as the mask: a sigmoid of it for
    the families that output probabilities, the raw value (logits) for BiRefNet. A second
    output, the mask negated, stands for the side outputs the real models have after it."""
    spec, (input_name, output_name) = segment.MODELS[name], SIGNATURES[family(name)]
    side = spec.side
    gain = helper.make_tensor("gain", TensorProto.FLOAT, [], [8.0])
    nodes = [
        helper.make_node("ReduceMean", [input_name], ["mean"], axes=[1], keepdims=1),
        helper.make_node("Mul", ["mean", "gain"], ["logits"]),
    ]
    if spec.sigmoid:
        nodes.append(helper.make_node("Identity", ["logits"], [output_name]))
    else:
        nodes.append(helper.make_node("Sigmoid", ["logits"], [output_name]))
    nodes.append(helper.make_node("Neg", [output_name], ["side_output"]))
    graph = helper.make_graph(
        nodes,
        f"tiny-{name}",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [1, 3, side, side])],
        [
            helper.make_tensor_value_info(output_name, TensorProto.FLOAT, [1, 1, side, side]),
            helper.make_tensor_value_info("side_output", TensorProto.FLOAT, [1, 1, side, side]),
        ],
        initializer=[gain],
    )
    # IR 8: what onnxruntime 1.23 reads (onnx 1.23 would write a newer one)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))


def photo() -> Image.Image:
    pixels = np.full((HEIGHT, WIDTH, 3), 20, np.uint8)
    pixels[SUBJECT] = 235
    return Image.fromarray(pixels)


def jpeg() -> bytes:
    buffer = io.BytesIO()
    photo().save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    for name in segment.MODELS:
        tiny_model(tmp_path / f"{name}.onnx", name)
    monkeypatch.setenv("U2NET_HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("name", sorted(segment.MODELS))
def test_the_model_mask_is_its_own_size_in_range_and_the_right_way_up(models_dir, name):
    side = segment.MODELS[name].side
    mask = segment.predict(photo(), name, models_dir / f"{name}.onnx")
    assert mask.shape == (side, side) and mask.dtype == np.float32
    assert mask.min() == pytest.approx(0.0, abs=1e-6) and mask.max() == pytest.approx(1.0, abs=1e-6)
    rows, cols = round(side * 48 / HEIGHT), round(side * 80 / WIDTH)
    assert mask[: rows - 8, : cols - 8].min() > 0.95  # the subject, top left
    assert mask[rows + 8 :, :].max() < 0.05 and mask[:, cols + 8 :].max() < 0.05


@pytest.mark.parametrize(
    ("name", "refinement"),
    [(name, "cleanup") for name in sorted(segment.MODELS)] + [("birefnet-general-lite", "matting")],
)
def test_a_tier_on_each_model_cuts_out_the_subject(models_dir, monkeypatch, name, refinement):
    monkeypatch.setenv("TIER_MODELS", f'{{"basic": {{"model": "{name}", "refinement": "{refinement}"}}}}')
    result = pipeline.run(jpeg(), "basic")
    assert (result.model_name, result.refinement, result.width, result.height) == (
        name,
        refinement,
        WIDTH,
        HEIGHT,
    )
    alpha = np.asarray(Image.open(io.BytesIO(result.image)).getchannel("A"))
    assert alpha.shape == (HEIGHT, WIDTH)
    assert alpha[4:44, 4:76].min() >= 250  # the subject, kept opaque
    assert alpha[56:, :].max() <= 5 and alpha[:, 92:].max() <= 5  # below and right of it: gone


def test_the_logits_of_birefnet_go_through_a_sigmoid(models_dir):
    """Mid-grey's logit is near 0: with the sigmoid it lands mid-range after the min-max scaling;
    taken as a probability, the scaling would put it elsewhere."""
    pixels = np.zeros((64, 64, 3), np.uint8)
    pixels[:, :16], pixels[:, 16:32], pixels[:, 32:] = 0, 118, 255
    mask = segment.predict(Image.fromarray(pixels), "birefnet-general", models_dir / "birefnet-general.onnx")
    normalised = (np.array([0.0, 118 / 255, 1.0])[:, None] - segment.IMAGENET_MEAN) / segment.IMAGENET_STD
    expected = 1 / (1 + np.exp(-8 * normalised.mean(axis=1)))
    expected = (expected - expected.min()) / (expected.max() - expected.min())
    assert mask[32, 300] == pytest.approx(expected[1], abs=0.02)


def test_a_model_prepared_beside_a_first_cutout_is_the_one_predict_uses(models_dir):
    path = models_dir / "u2netp.onnx"
    segment.prepare(path)  # loads on the helper thread
    mask = segment.predict(photo(), "u2netp", path)  # waits for that load, not a second one
    loaded = segment._sessions[path]
    segment.prepare(path)  # loaded: nothing to do
    assert segment._sessions[path] is loaded
    assert mask.shape == (320, 320)
