"""The PNG writer's output decodes, in any decoder, to exactly the pixels it was given."""

import io

import numpy as np
import pytest
from PIL import Image

from cutout import png


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
