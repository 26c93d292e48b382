"""Archive assembly without I/O: entries written into position-independent segments, and the
closing bytes (manifest entry, central directory, end records) that follow the last segment."""

import zlib
from collections.abc import Callable, Iterable

from zipper.format import Entry, central_directory, data_descriptor, local_header

MANIFEST_NAME = "manifest.json"


class SegmentBuilder:
    """Writes entries through `write` and records, for each, what the central directory needs.
    Offsets are relative to the segment start: finalize adds the segment's offset in the archive."""

    def __init__(self, write: Callable[[bytes], object]):
        self._write = write
        self.size = 0
        self.members: list[dict] = []

    def _out(self, data: bytes) -> None:
        self._write(data)
        self.size += len(data)

    def add(self, name: str, dos_time: int, chunks: Iterable[bytes]) -> None:
        offset = self.size
        self._out(local_header(name, dos_time))
        crc = size = 0
        for chunk in chunks:
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            self._out(chunk)
        self._out(data_descriptor(crc, size))
        self.members.append({"name": name, "crc": crc, "size": size, "offset": offset, "dosTime": dos_time})

    def metadata(self) -> dict:
        """JSON-ready: {"size", "entries": [{"name", "crc", "size", "offset", "dosTime"}]}."""
        return {"size": self.size, "entries": self.members}


def closing_bytes(segments: list[dict], manifest: bytes, dos_time: int) -> bytes:
    """What follows the segments (their metadata(), in order): manifest.json, then the directory."""
    entries = []
    offset = 0
    for segment in segments:
        entries += [
            Entry(m["name"], m["crc"], m["size"], offset + m["offset"], m["dosTime"])
            for m in segment["entries"]
        ]
        offset += segment["size"]
    if any(entry.name == MANIFEST_NAME for entry in entries):
        raise ValueError(f"{MANIFEST_NAME} is reserved for the manifest")
    head = (
        local_header(MANIFEST_NAME, dos_time)
        + manifest
        + data_descriptor(zlib.crc32(manifest), len(manifest))
    )
    entries.append(Entry(MANIFEST_NAME, zlib.crc32(manifest), len(manifest), offset, dos_time))
    return head + central_directory(entries, offset + len(head))
