"""A minimal PNG writer, several times faster than Pillow's, and PNG encoding is the largest
share of a cutout's time (NOTES: rembg/inference).

Pillow tries every PNG filter on every row, then deflates with zlib; here one vectorised "Up"
filter is followed by ISA-L's deflate, which at level 1 is ~4x faster than zlib's level 1 and
compresses better. The output is an ordinary zlib stream any PNG decoder reads.
"""

import struct
import zlib

import numpy as np
from isal import isal_zlib

_COLOUR_TYPES = {1: 0, 3: 2, 4: 6}  # channels -> PNG colour type: grey, RGB, RGBA
_UP = 2


def encode(pixels: np.ndarray, level: int = 1, icc_profile: bytes | None = None) -> bytes:
    """An 8-bit PNG of an (h, w) grey or (h, w, 3|4) RGB/RGBA uint8 array; `level` is ISA-L's 0-3;
    an RGB(A) image's ICC profile goes in an iCCP chunk."""
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3):
        raise ValueError(f"need an 8-bit grey, RGB or RGBA array, got {pixels.dtype} {pixels.shape}")
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    rows = pixels.reshape(height, width * channels)
    # Each scanline: a filter byte, then the bytes minus those of the line above (mod 256).
    filtered = np.empty((height, rows.shape[1] + 1), dtype=np.uint8)
    filtered[0, 0], filtered[0, 1:] = 0, rows[0]
    filtered[1:, 0] = _UP
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPES[channels], 0, 0, 0)
    profile = b""
    if icc_profile and channels > 1:  # a grey PNG would need a grey profile
        profile = _chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(icc_profile))
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            profile,
            _chunk(b"IDAT", isal_zlib.compress(filtered, level)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))
