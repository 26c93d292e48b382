"""Uploaded bytes are validated from the header, decoded, oriented and normalised."""

import io
import struct
import zlib

import numpy as np
import pytest
from cutout_samples import encoded, jpeg
from PIL import Image

from bgr_core.platform.errors import InvalidImage
from cutout.decode import load_image


def refused(data: bytes, **limits) -> InvalidImage:
    with pytest.raises(InvalidImage) as caught:
        load_image(data, **limits)
    return caught.value


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width×height (a decompression bomb's shape)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * (width * 3 + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def frames(fmt: str, **params) -> bytes:
    red, blue = Image.new("RGB", (64, 64), "red"), Image.new("RGB", (64, 64), "blue")
    return encoded(red, fmt, save_all=True, append_images=[blue], duration=100, **params)


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        (b"", "EMPTY_FILE", 422),
        (b"hello, I am text and not a picture at all", "NOT_AN_IMAGE", 415),
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", "NOT_AN_IMAGE", 415),
        (b"<!doctype html><html><body><img src=x.png></body></html>", "NOT_AN_IMAGE", 415),
    ],
)
def test_what_is_not_an_image_is_named(data, code, status):
    error = refused(data)
    assert (error.code, error.status) == (code, status) and error.message


def test_truncated_jpeg_is_corrupt(cat):
    whole = jpeg(cat)
    error = refused(whole[: len(whole) // 2])
    assert (error.code, error.status) == ("CORRUPT_IMAGE", 422)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(frames("GIF", loop=0), id="animated-gif"),
        pytest.param(frames("WEBP"), id="animated-webp"),
        pytest.param(frames("PNG"), id="apng"),
        pytest.param(encoded(Image.new("RGB", (64, 64)), "GIF"), id="still-gif"),
        pytest.param(encoded(Image.new("RGB", (64, 64)), "BMP"), id="bmp"),
    ],
)
def test_other_formats_and_animations_are_unsupported(data):
    error = refused(data)
    assert (error.code, error.status) == ("UNSUPPORTED_FORMAT", 415)


def test_over_the_byte_limit_is_too_large(cat):
    data = jpeg(cat)
    error = refused(data, max_bytes=len(data) - 1)
    assert (error.code, error.status) == ("TOO_LARGE", 413)
    assert load_image(data, max_bytes=len(data)).size == cat.size


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(png_declaring(6000, 6000), id="36-megapixels"),
        pytest.param(png_declaring(100_000, 100_000), id="decompression-bomb"),
    ],
)
def test_too_many_pixels_is_refused_from_the_header(data):
    assert len(data) < 2000  # a small file that declares a huge picture
    error = refused(data)
    assert (error.code, error.status) == ("TOO_MANY_PIXELS", 413)


def test_pixel_limit_is_a_parameter(cat):
    error = refused(jpeg(cat), max_pixels=cat.width * cat.height - 1)
    assert error.code == "TOO_MANY_PIXELS"


@pytest.mark.parametrize("size", [(1, 1), (10_000, 10), (10, 10_000), (15, 300)])
def test_slivers_and_specks_have_bad_dimensions(size):
    error = refused(encoded(Image.new("RGB", size, "white"), "PNG"))
    assert (error.code, error.status) == ("BAD_DIMENSIONS", 422)


def test_a_long_but_sane_strip_is_accepted():
    assert load_image(encoded(Image.new("RGB", (640, 32), "white"), "PNG")).size == (640, 32)


def test_cmyk_jpeg_becomes_rgb_with_its_colours():
    cmyk = Image.new("CMYK", (64, 64), (0, 255, 255, 0))  # red
    image = load_image(jpeg(cmyk))
    assert image.mode == "RGB"
    red, green, blue = image.getpixel((32, 32))
    assert red > 200 and green < 60 and blue < 60


def test_sixteen_bit_greyscale_is_scaled_not_clipped():
    pixels = np.full((64, 64), 40_000, dtype=np.uint16)
    image = load_image(encoded(Image.fromarray(pixels), "PNG"))
    assert image.mode == "RGB" and image.getpixel((5, 5)) == (156, 156, 156)


def test_greyscale_becomes_rgb(cat):
    image = load_image(jpeg(cat.convert("L")))
    assert (image.mode, image.size) == ("RGB", cat.size)


def test_palette_transparency_becomes_alpha():
    palette = Image.new("P", (64, 64), 1)
    palette.putpalette([0, 0, 0, 255, 0, 0])
    palette.paste(0, (0, 0, 32, 64))
    image = load_image(encoded(palette, "PNG", transparency=0))
    assert image.mode == "RGBA"
    assert image.getpixel((5, 5))[3] == 0 and image.getpixel((50, 5)) == (255, 0, 0, 255)


def test_rgba_keeps_its_alpha():
    rgba = Image.new("RGBA", (64, 64), (10, 20, 30, 77))
    image = load_image(encoded(rgba, "WEBP", lossless=True))
    assert image.mode == "RGBA" and image.getpixel((1, 1)) == (10, 20, 30, 77)


def test_exif_orientation_is_honoured(cat):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    image = load_image(jpeg(cat, exif=exif))
    assert image.size == (cat.height, cat.width)


def test_plain_photo_is_returned_as_decoded(cat):
    data = jpeg(cat)
    image = load_image(data)
    expected = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert image.mode == "RGB" and np.array_equal(np.asarray(image), expected)
