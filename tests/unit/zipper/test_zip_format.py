import io
import json
import random
import shutil
import subprocess
import zipfile
import zlib
from datetime import datetime

import pytest

from zipper.archive import MANIFEST_NAME, closing_bytes, write_range
from zipper.format import Entry, central_directory, data_descriptor, dos_time, local_header
from zipper.plan import plan_archive

MODIFIED = datetime(2025, 3, 14, 15, 9, 26)


def source(contents: dict[str, bytes], reads: list | None = None):
    """read() over in-memory objects, in chunks of 1000 as a streamed S3 body gives them."""

    def read(key: str, size: int, first: int, last: int):
        assert len(contents[key]) == size
        if reads is not None:
            reads.append((key, first, last))
        data = contents[key][first:last]
        return (data[i : i + 1000] for i in range(0, len(data), 1000))

    return read


def build(
    members: list[tuple[str, bytes]], manifest: bytes, part_size: int = 4096, segments: int = 5
) -> bytes:
    """An archive assembled the way the workflow does it in S3: each segment's range written on
    its own (in any order), then the rest and the closing bytes."""
    contents = {f"k{i}": data for i, (_, data) in enumerate(members)}
    results = [{"key": f"k{i}", "size": len(data), "name": name} for i, (name, data) in enumerate(members)]
    plan = plan_archive(
        results, MODIFIED, max_segments=segments, part_size=part_size, min_segment_size=part_size
    )
    pieces, crcs = {}, {}
    for segment in reversed(plan["segments"]):
        buffer = io.BytesIO()
        ended = write_range(plan, segment["start"], segment["end"], source(contents), buffer.write)
        assert len(buffer.getvalue()) == segment["end"] - segment["start"]
        assert not crcs.keys() & ended  # each entry ends in one segment
        pieces[segment["index"]], crcs = buffer.getvalue(), crcs | ended
    return b"".join(pieces[i] for i in sorted(pieces)) + closing_bytes(plan, crcs, manifest)


def reference(members: list[tuple[str, bytes]], manifest: bytes) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in [*members, (MANIFEST_NAME, manifest)]:
            archive.writestr(name, data)
    return zipfile.ZipFile(buffer)


def contents_of(archive: zipfile.ZipFile) -> list[tuple[str, int, bytes]]:
    return [(info.filename, info.CRC, archive.read(info)) for info in archive.infolist()]


@pytest.mark.parametrize("seed", range(8))
def test_segments_split_anywhere_assemble_into_the_zip_zipfile_reads(seed, tmp_path):
    # entries larger than a part, smaller than one, empty; boundaries inside headers, data and descriptors
    rng = random.Random(seed)
    members = [(f"r{i}.png", rng.randbytes(rng.choice([0, 17, 900, 4000, 9000, 30_000]))) for i in range(12)]
    manifest = json.dumps({"items": [name for name, _ in members]}).encode()
    data = build(members, manifest, part_size=rng.choice([64, 100, 4096]), segments=rng.choice([1, 3, 7, 40]))

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert contents_of(archive) == contents_of(reference(members, manifest))
    unzip = shutil.which("unzip")
    assert unzip, "Info-ZIP unzip is needed: apt-get install -y unzip"
    (tmp_path / "a.zip").write_bytes(data)
    subprocess.run([unzip, "-tq", tmp_path / "a.zip"], capture_output=True, check=True)


def test_a_range_reads_only_what_it_writes_unless_it_needs_a_crc():
    members = [("a.png", bytes(range(256)) * 40), ("b.png", b"b" * 5000)]  # 10,240 and 5,000 bytes
    contents = {"k0": members[0][1], "k1": members[1][1]}
    results = [{"key": f"k{i}", "size": len(d), "name": n} for i, (n, d) in enumerate(members)]
    plan = plan_archive(results, MODIFIED, max_segments=3, part_size=4096, min_segment_size=4096)
    a_data = len(local_header("a.png", 0))
    reads: list = []
    write_range(plan, 4096, 8192, source(contents, reads), lambda chunk: None)  # inside a's data
    assert reads == [("k0", 4096 - a_data, 8192 - a_data)]
    reads.clear()
    write_range(plan, 8192, plan["size"], source(contents, reads), lambda chunk: None)  # a's end, b
    assert reads == [("k0", 0, 10_240), ("k1", 0, 5000)]  # a whole: its descriptor needs the CRC


def test_unicode_names_round_trip():
    archive = zipfile.ZipFile(io.BytesIO(build([("café 写真.png", b"png")], b"{}")))
    assert archive.namelist() == ["café 写真.png", MANIFEST_NAME]
    assert archive.read("café 写真.png") == b"png"
    assert archive.getinfo("café 写真.png").date_time == (2025, 3, 14, 15, 9, 26)


def test_manifest_only_archive_when_no_results():
    archive = zipfile.ZipFile(io.BytesIO(build([], b'{"items": []}')))
    assert archive.testzip() is None
    assert archive.namelist() == [MANIFEST_NAME]


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
