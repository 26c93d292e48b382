"""Real photos (scikit-image's) and the real u2netp weights from the repository's models/."""

import os
from pathlib import Path

import pytest
from PIL import Image

os.environ.setdefault("U2NET_HOME", str(Path(__file__).resolve().parents[3] / "models"))


@pytest.fixture(scope="session")
def cat() -> Image.Image:
    """A cat on a sofa, 451×300."""
    from skimage import data

    return Image.fromarray(data.chelsea())


@pytest.fixture(scope="session")
def astronaut() -> Image.Image:
    """A person in front of a flag and a shuttle, 512×512."""
    from skimage import data

    return Image.fromarray(data.astronaut())


@pytest.fixture(scope="session")
def coffee() -> Image.Image:
    """A cup on a table, 600×400."""
    from skimage import data

    return Image.fromarray(data.coffee())


@pytest.fixture(autouse=True)
def fresh_settings():
    from bgr_core.config import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
