import io
import json
import random
import shutil
import subprocess
import zipfile
import zlib
from datetime import datetime

import pytest

from zipper.archive import MANIFEST_NAME, SegmentBuilder, closing_bytes
from zipper.format import Entry, central_directory, data_descriptor, dos_time, local_header

MODIFIED = datetime(2025, 3, 14, 15, 9, 26)


def build(groups: list[list[tuple[str, bytes]]], manifest: bytes) -> bytes:
    """An archive from in-memory segments, assembled the way finalize does it in S3."""
    segments, metadata = [], []
    for group in groups:
        buffer = io.BytesIO()
        builder = SegmentBuilder(buffer.write)
        for name, data in group:
            # several chunks per entry, as a streamed S3 body gives them
            builder.add(name, dos_time(MODIFIED), (data[i : i + 1000] for i in range(0, len(data), 1000)))
        segments.append(buffer.getvalue())
        metadata.append(builder.metadata())
    return b"".join(segments) + closing_bytes(metadata, manifest, dos_time(MODIFIED))


def test_segments_assemble_into_the_zip_zipfile_reads():
    rng = random.Random(1)
    groups = [
        [(f"s{s}-{i}.png", rng.randbytes(rng.randrange(0, 5000))) for i in range(rng.randrange(1, 4))]
        for s in range(4)
    ]
    manifest = json.dumps({"items": [{"index": 0, "filename": "s0-0.png", "status": "completed"}]}).encode()

    archive = zipfile.ZipFile(io.BytesIO(build(groups, manifest)))

    assert archive.testzip() is None
    expected = [member for group in groups for member in group] + [(MANIFEST_NAME, manifest)]
    assert [(info.filename, archive.read(info)) for info in archive.infolist()] == expected
    for info, (_, data) in zip(archive.infolist(), expected, strict=True):
        assert zlib.crc32(data) == info.CRC
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.date_time == (2025, 3, 14, 15, 9, 26)


def test_segment_bytes_do_not_depend_on_position():
    first, second = io.BytesIO(), io.BytesIO()
    SegmentBuilder(first.write).add("a.png", 0, [b"data"])
    builder = SegmentBuilder(second.write)
    builder.add("pad.png", 0, [b"x" * 100])
    builder.add("a.png", 0, [b"data"])
    assert second.getvalue()[builder.members[1]["offset"] :] == first.getvalue()


def test_unicode_names_round_trip():
    archive = zipfile.ZipFile(io.BytesIO(build([[("café 写真.png", b"png")]], b"{}")))
    assert archive.namelist() == ["café 写真.png", MANIFEST_NAME]
    assert archive.read("café 写真.png") == b"png"


def test_manifest_only_archive_when_no_results():
    archive = zipfile.ZipFile(io.BytesIO(build([], b'{"items": []}')))
    assert archive.testzip() is None
    assert archive.namelist() == [MANIFEST_NAME]


def test_a_result_named_like_the_manifest_is_refused():
    with pytest.raises(ValueError, match=MANIFEST_NAME):
        build([[(MANIFEST_NAME, b"{}")]], b"{}")


def test_dos_time_clamps_to_the_dos_epoch():
    assert dos_time(datetime(1970, 1, 1)) >> 25 == 0  # year field: 1980 + 0


@pytest.mark.slow
def test_offsets_and_sizes_beyond_4_gib(tmp_path):
    """ZIP64: a 4.5 GiB member (a hole in a sparse file: zeros) followed by a member beyond 4 GiB."""
    big_size, small = (4 << 30) + (512 << 20), b"after the four gigabyte mark"
    zeros = bytes(64 << 20)
    big_crc = 0
    for _ in range(big_size // len(zeros)):
        big_crc = zlib.crc32(zeros, big_crc)
    path = tmp_path / "big.zip"
    with path.open("wb") as file:
        file.write(local_header("big.png", 0))
        file.seek(big_size, io.SEEK_CUR)
        file.write(data_descriptor(big_crc, big_size))
        small_offset = file.tell()
        file.write(local_header("small.png", 0) + small + data_descriptor(zlib.crc32(small), len(small)))
        entries = [
            Entry("big.png", big_crc, big_size, 0, 0),
            Entry("small.png", zlib.crc32(small), len(small), small_offset, 0),
        ]
        file.write(central_directory(entries, file.tell()))

    with zipfile.ZipFile(path) as archive:
        big, after = archive.infolist()
        assert (big.file_size, big.CRC) == (big_size, big_crc)
        assert after.header_offset == small_offset > 0xFFFFFFFF
        assert archive.read("small.png") == small  # reading checks the CRC
    unzip = shutil.which("unzip")
    assert unzip, "Info-ZIP unzip is needed: apt-get install -y unzip"
    # Info-ZIP reads the ZIP64 records to list the archive, then tests the member beyond 4 GiB.
    listing = subprocess.run([unzip, "-l", path], capture_output=True, text=True, check=True).stdout
    assert str(big_size) in listing
    subprocess.run([unzip, "-tq", path, "small.png"], capture_output=True, check=True)
