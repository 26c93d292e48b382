"""A one-line progress bar on stderr."""

import sys


def show(label: str, done: int, total: int, suffix: str = "", width: int = 30) -> None:
    filled = width * done // total if total else width
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {suffix:<12}")
    sys.stderr.flush()


def end() -> None:
    sys.stderr.write("\n")
