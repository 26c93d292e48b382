"""Sizes in error messages read in MB (or GB), never in raw bytes, and never as the limit they are over."""

import pytest

from bgr_core.platform.storage import MAX_IMAGE_BYTES, megabytes


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (MAX_IMAGE_BYTES, "10 MB"),
        (MAX_IMAGE_BYTES + 1, "10.1 MB"),
        (int(4.5 * 2**20), "4.5 MB"),
        (2 * 2**30, "2 GB"),
    ],
)
def test_sizes_read_in_megabytes(size, shown):
    assert megabytes(size) == shown
