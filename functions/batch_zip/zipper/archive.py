"""Archive assembly without I/O: any byte range of the entries, laid out by the plan, and the
closing bytes (manifest entry, central directory, end records) that follow the entries."""

import zlib
from collections.abc import Callable, Iterable

from zipper.format import DATA_DESCRIPTOR_SIZE, Entry, central_directory, data_descriptor, local_header

MANIFEST_NAME = "manifest.json"

# read(key, size, first, last) -> bytes [first, last) of the source object of `size` bytes
Read = Callable[[str, int, int, int], Iterable[bytes]]


def _clip(data: bytes, at: int, start: int, end: int) -> bytes:
    """The part of `data`, placed at archive offset `at`, that lies in [start, end)."""
    return data[max(start - at, 0) : max(end - at, 0)]


def write_range(
    plan: dict, start: int, end: int, read: Read, write: Callable[[bytes], object]
) -> dict[int, int]:
    """Writes bytes [start, end) of the plan's entries (each: local header, data, data descriptor)
    through `write`, reading the data it needs through `read`. A descriptor needs the CRC of its
    whole entry, so an entry whose descriptor lies in the range is read whole even when only its
    end is written here. Returns {entry index: CRC} of the entries that end in the range."""
    crcs = {}
    for index, entry in enumerate(plan["entries"]):
        header = local_header(entry["name"], plan["dosTime"])
        data = entry["offset"] + len(header)  # where the data starts
        trailer = data + entry["size"]  # where the descriptor starts
        finish = trailer + DATA_DESCRIPTOR_SIZE
        if finish <= start or entry["offset"] >= end:
            continue
        if piece := _clip(header, entry["offset"], start, end):
            write(piece)
        first, last = max(start, data) - data, min(end, trailer) - data  # the data written here
        if max(start, trailer) < min(end, finish):
            crc = position = 0
            for chunk in read(entry["key"], entry["size"], 0, entry["size"]):
                crc = zlib.crc32(chunk, crc)
                if position + len(chunk) > first and position < last:
                    write(memoryview(chunk)[max(first - position, 0) : last - position])
                position += len(chunk)
            write(_clip(data_descriptor(crc, entry["size"]), trailer, start, end))
            if finish <= end:
                crcs[index] = crc
        elif first < last:
            for chunk in read(entry["key"], entry["size"], first, last):
                write(chunk)
    return crcs


def closing_bytes(plan: dict, crcs: dict[int, int], manifest: bytes) -> bytes:
    """What follows the entries: manifest.json (the `manifest` bytes), then the central directory.
    `crcs` holds every entry's CRC, by index."""
    dos = plan["dosTime"]
    entries = [
        Entry(entry["name"], crcs[index], entry["size"], entry["offset"], dos)
        for index, entry in enumerate(plan["entries"])
    ]
    offset = plan["size"]
    head = local_header(MANIFEST_NAME, dos) + manifest + data_descriptor(zlib.crc32(manifest), len(manifest))
    entries.append(Entry(MANIFEST_NAME, zlib.crc32(manifest), len(manifest), offset, dos))
    return head + central_directory(entries, offset + len(head))
