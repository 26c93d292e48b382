"""Pixels handed from the composer to the encoder without a copy, and never stale."""

import numpy as np
from PIL import Image

from cutout import arrays


def test_an_image_made_from_an_array_gives_that_array_back():
    pixels = np.random.default_rng(1).integers(0, 256, size=(9, 7, 4), dtype=np.uint8)
    image = arrays.to_image(pixels)
    assert arrays.of(image) is pixels
    assert np.array_equal(np.asarray(image), pixels)


def test_a_changed_image_gives_its_new_pixels():
    pixels = np.zeros((9, 7), dtype=np.uint8)
    image = arrays.to_image(pixels)
    image.paste(200, (0, 0, 3, 3))  # Pillow copies the mapped array before changing it
    assert arrays.of(image)[0, 0] == 200
    assert pixels[0, 0] == 0
    assert np.array_equal(arrays.of(image), np.asarray(image))


def test_other_images_are_read_through_pillow():
    rgb = np.random.default_rng(2).integers(0, 256, size=(5, 6, 3), dtype=np.uint8)
    image = arrays.to_image(rgb)  # Pillow stores RGB padded, so it copies instead of mapping
    assert np.array_equal(arrays.of(image), rgb)
    assert np.array_equal(arrays.of(Image.new("L", (4, 4), 9)), np.full((4, 4), 9, np.uint8))


def test_a_collected_image_is_forgotten():
    image = arrays.to_image(np.zeros((3, 3), dtype=np.uint8))
    key = id(image)
    del image
    assert key not in arrays._arrays
