"""Names inside the ZIP: one flat folder of safe, unique file names that all extract anywhere."""

import re
import unicodedata

MAX_STEM = 100
# Separators, characters Windows refuses in names, and control characters (C0, DEL, C1).
UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f]')


def _stem(filename: str) -> str:
    base = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = UNSAFE.sub("_", stem).strip(" ._")  # no leading dots (hidden, ".."), no trailing dots or spaces
    return stem[:MAX_STEM].rstrip(" .")


def zip_names(filenames: list[str], extension: str = ".png") -> list[str]:
    """A safe name for each original filename, in order: base name only, unsafe characters replaced,
    the extension replaced by `extension`, duplicates (case-insensitively) numbered "a (2).png"."""
    taken: set[str] = set()
    names = []
    for index, filename in enumerate(filenames, start=1):
        stem = _stem(filename) or f"image-{index}"
        name, copy = f"{stem}{extension}", 1
        while name.casefold() in taken:
            copy += 1
            name = f"{stem} ({copy}){extension}"
        taken.add(name.casefold())
        names.append(name)
    return names
