"""Images that share a numpy array's memory, and that array back without a copy.

Reading a large image's pixels through Pillow copies them twice (tens of ms at 12 MP); an L or
RGBA image made from an array maps it read-only, and Pillow copies it before any change (which
clears `readonly`), so while it is read-only its pixels are the array's.
"""

import weakref

import numpy as np
from PIL import Image

_arrays: dict[int, np.ndarray] = {}


def to_image(array: np.ndarray) -> Image.Image:
    image = Image.fromarray(array)
    if image.readonly:
        _arrays[id(image)] = array
        weakref.finalize(image, _arrays.pop, id(image), None)
    return image


def of(image: Image.Image) -> np.ndarray:
    """The image's pixels (read-only when they are a to_image array's)."""
    array = _arrays.get(id(image))
    return array if array is not None and image.readonly else np.asarray(image)
