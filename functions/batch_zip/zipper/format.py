"""ZIP byte layout (APPNOTE 6.3): STORED entries, streamed with data descriptors, always ZIP64.

An entry is [local header + data + data descriptor]. The local header holds no CRC, size or
offset, so entry bytes do not depend on where the entry lands in the archive; only the central
directory, written last, holds offsets.
"""

import struct
from dataclasses import dataclass
from datetime import datetime

LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
DATA_DESCRIPTOR = struct.Struct("<IIQQ")
CENTRAL_HEADER = struct.Struct("<IBBHHHHHIIIHHHHHII")
LOCAL_ZIP64_EXTRA = struct.Struct("<HHQQ")  # sizes (zero here: they are in the data descriptor)
ZIP64_EXTRA = struct.Struct("<HHQQQ")  # sizes and local header offset
ZIP64_END = struct.Struct("<IQBBHIIQQQQ")
ZIP64_LOCATOR = struct.Struct("<IIQI")
END = struct.Struct("<IHHHHIIH")

LOCAL_HEADER_SIG = 0x04034B50
DATA_DESCRIPTOR_SIG = 0x08074B50
CENTRAL_HEADER_SIG = 0x02014B50
ZIP64_END_SIG = 0x06064B50
ZIP64_LOCATOR_SIG = 0x07064B50
END_SIG = 0x06054B50

VERSION = 45  # 4.5: ZIP64
UNIX = 3
FLAGS = 0x0808  # bit 3: sizes and CRC in the data descriptor; bit 11: names are UTF-8
STORED = 0
ZIP64_TAG = 0x0001
FILE_MODE = 0o100644 << 16
MAX16 = 0xFFFF
MAX32 = 0xFFFFFFFF

DATA_DESCRIPTOR_SIZE = DATA_DESCRIPTOR.size


@dataclass(frozen=True)
class Entry:
    """One member as the central directory records it; offset is from the start of the archive."""

    name: str
    crc: int
    size: int
    offset: int
    dos_time: int  # DOS date << 16 | DOS time


def dos_time(moment: datetime) -> int:
    """DOS date and time packed in 32 bits (2-second resolution, years 1980-2107)."""
    year = min(max(moment.year, 1980), 2107)
    date = (year - 1980) << 9 | moment.month << 5 | moment.day
    time = moment.hour << 11 | moment.minute << 5 | moment.second // 2
    return date << 16 | time


def local_header(name: str, dos: int) -> bytes:
    """The header before an entry's data: CRC and sizes come later, in the data descriptor."""
    encoded = name.encode()
    extra = LOCAL_ZIP64_EXTRA.pack(ZIP64_TAG, LOCAL_ZIP64_EXTRA.size - 4, 0, 0)
    return (
        LOCAL_HEADER.pack(
            LOCAL_HEADER_SIG,
            VERSION,
            FLAGS,
            STORED,
            dos & MAX16,
            dos >> 16,
            0,
            MAX32,
            MAX32,
            len(encoded),
            len(extra),
        )
        + encoded
        + extra
    )


def data_descriptor(crc: int, size: int) -> bytes:
    """The trailer after an entry's data (ZIP64 form: 8-byte sizes, as the local extra announces)."""
    return DATA_DESCRIPTOR.pack(DATA_DESCRIPTOR_SIG, crc, size, size)


def entry_size(name: str, size: int) -> int:
    """Bytes one entry takes in a segment: header, data and descriptor."""
    return len(local_header(name, 0)) + size + DATA_DESCRIPTOR_SIZE


def central_header(entry: Entry) -> bytes:
    encoded = entry.name.encode()
    extra = ZIP64_EXTRA.pack(ZIP64_TAG, ZIP64_EXTRA.size - 4, entry.size, entry.size, entry.offset)
    return (
        CENTRAL_HEADER.pack(
            CENTRAL_HEADER_SIG,
            VERSION,
            UNIX,
            VERSION,
            FLAGS,
            STORED,
            entry.dos_time & MAX16,
            entry.dos_time >> 16,
            entry.crc,
            MAX32,
            MAX32,
            len(encoded),
            len(extra),
            0,
            0,
            0,
            FILE_MODE,
            MAX32,
        )
        + encoded
        + extra
    )


def end_records(count: int, directory_offset: int, directory_size: int) -> bytes:
    """ZIP64 end of central directory record and locator, then the classic end record."""
    zip64_end_offset = directory_offset + directory_size
    return (
        ZIP64_END.pack(
            ZIP64_END_SIG,
            ZIP64_END.size - 12,
            VERSION,
            UNIX,
            VERSION,
            0,
            0,
            count,
            count,
            directory_size,
            directory_offset,
        )
        + ZIP64_LOCATOR.pack(ZIP64_LOCATOR_SIG, 0, zip64_end_offset, 1)
        + END.pack(
            END_SIG,
            0,
            0,
            min(count, MAX16),
            min(count, MAX16),
            min(directory_size, MAX32),
            min(directory_offset, MAX32),
            0,
        )
    )


def central_directory(entries: list[Entry], directory_offset: int) -> bytes:
    """Everything after the last entry: one central header per entry and the end records."""
    headers = b"".join(central_header(entry) for entry in entries)
    return headers + end_records(len(entries), directory_offset, len(headers))
