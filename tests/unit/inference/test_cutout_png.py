"""The PNG writer's output decodes, in any decoder, to exactly the pixels it was given."""

import io
import zlib

import numpy as np
import pytest
from PIL import Image

from cutout import background, png


@pytest.mark.parametrize(("shape", "mode"), [((37, 53), "L"), ((37, 53, 3), "RGB"), ((37, 53, 4), "RGBA")])
def test_round_trip_is_exact(shape, mode):
    pixels = np.random.default_rng(7).integers(0, 256, size=shape, dtype=np.uint8)
    decoded = Image.open(io.BytesIO(png.encode(pixels)))
    assert (decoded.format, decoded.mode, decoded.size) == ("PNG", mode, (53, 37))
    assert np.array_equal(np.asarray(decoded), pixels)


def test_single_row():
    pixels = np.arange(12, dtype=np.uint8).reshape(1, 3, 4)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png.encode(pixels)))), pixels)


def test_rejects_what_it_cannot_write():
    with pytest.raises(ValueError, match="8-bit"):
        png.encode(np.zeros((4, 4), dtype=np.uint16))


@pytest.mark.parametrize("height", [2, 3, 64])
def test_split_deflate_is_one_exact_stream(monkeypatch, height):
    """Above SPLIT_BYTES the parts are deflated apart and joined: zlib and Pillow read one stream."""
    monkeypatch.setattr(png, "SPLIT_BYTES", 1)
    pixels = np.random.default_rng(height).integers(0, 256, size=(height, 41, 4), dtype=np.uint8)
    pixels[: height // 2] //= 16  # the parts compress differently
    encoded = png.encode(pixels)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(encoded))), pixels)
    idat = encoded.index(b"IDAT")
    length = int.from_bytes(encoded[idat - 4 : idat], "big")
    rows = zlib.decompress(encoded[idat + 4 : idat + 4 + length])  # Adler-32 checked here
    assert len(rows) == height * (41 * 4 + 1)


def test_split_deflate_from_the_helper_thread(monkeypatch):
    """The helper thread encoding a large PNG deflates every part itself instead of waiting on
    its own queue."""
    monkeypatch.setattr(png, "SPLIT_BYTES", 1)
    pixels = np.random.default_rng(3).integers(0, 256, size=(32, 32), dtype=np.uint8)
    encoded = background.pool.submit(png.encode, pixels).result(timeout=30)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(encoded))), pixels)
