"""Inference: the cutout pipeline (basic tier -> PNG) against `rembg.remove` with the same u2netp
session, on real photos (scikit-image's astronaut, chelsea, coffee) upscaled to 0.5, 2.5 and 12 MP
and saved as JPEG.

- warm: one worker process runs both sides interleaved, after a warm-up each, REPEATS times per
  photo; a side's time is its best (the machine is shared: the minimum is the least noisy
  estimate of the work itself); a size's ratio is the sum over photos, ours / rembg's.
  IoU compares the two alpha masks thresholded at 128.
- peak RSS: a fresh process per side makes one 12 MP cutout and reports its own VmHWM.
- cold start: a fresh process per side (same env: U2NET_HOME, NUMBA_CACHE_DIR) imports its side
  and makes its first cutout of the 2.5 MP astronaut; wall time seen from here, median of REPEATS.
  Each tier of ours is a side of its own here (its refinement's first call included).

Standalone: python -m bench.inference
"""

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ("astronaut", "chelsea", "coffee")
SIZES = {"0_5mp": 500_000, "2_5mp": 2_560_000, "12mp": 12_000_000}  # 2.5 MP: 1600×1600
REPEATS = 3
COLD_IMAGE = "astronaut_2_5mp.jpg"
RSS_IMAGE = "astronaut_12mp.jpg"

TIERS = ("basic", "standard", "professional", "industry")
_TIER = "from cutout import pipeline\ncut = lambda data: pipeline.run(data, {tier!r}).image"
_SIDES = {
    "ours": _TIER.format(tier="basic"),
    "rembg": "import rembg\nsession = rembg.new_session('u2netp')\n"
    "cut = lambda data: rembg.remove(data, session=session)",
}


def _write_photos(folder: Path) -> None:
    from PIL import Image
    from skimage import data

    for photo in PHOTOS:
        original = Image.fromarray(getattr(data, photo)())
        for size, pixels in SIZES.items():
            scale = (pixels / (original.width * original.height)) ** 0.5
            shape = (round(original.width * scale), round(original.height * scale))
            original.resize(shape, Image.Resampling.BICUBIC).save(folder / f"{photo}_{size}.jpg", quality=90)


def _warm(folder: Path) -> None:
    """Worker: both sides in this process, interleaved; prints per-image figures as JSON."""
    import numpy as np
    from PIL import Image

    cutters = {}
    for side, code in _SIDES.items():
        scope: dict = {}
        # this module's own cutout snippets (_SIDES), in a fresh scope (bandit B102)
        exec(code, scope)  # nosec B102
        cutters[side] = scope["cut"]

    def alpha(data: bytes):
        return np.asarray(Image.open(io.BytesIO(data)).getchannel("A")) >= 128

    rows = []
    for size in SIZES:
        for photo in PHOTOS:
            data = (folder / f"{photo}_{size}.jpg").read_bytes()
            outputs = {side: cut(data) for side, cut in cutters.items()}  # warm-up
            times: dict[str, list[float]] = {side: [] for side in cutters}
            for _ in range(REPEATS):
                for side, cut in cutters.items():
                    start = time.perf_counter()
                    cut(data)
                    times[side].append(time.perf_counter() - start)
            ours, theirs = alpha(outputs["ours"]), alpha(outputs["rembg"])
            rows.append(
                {
                    "size": size,
                    "photo": photo,
                    "pixels": Image.open(io.BytesIO(data)).size,
                    "ours_s": min(times["ours"]),
                    "rembg_s": min(times["rembg"]),
                    "iou": float((ours & theirs).sum() / (ours | theirs).sum()),
                    "ours_bytes": len(outputs["ours"]),
                    "rembg_bytes": len(outputs["rembg"]),
                }
            )
    print(json.dumps(rows))


def _once(side: str, image: Path) -> None:
    """Worker: a fresh process making one cutout with one side; prints its peak RSS."""
    scope: dict = {}
    code = _TIER.format(tier=side) if side in TIERS else _SIDES[side]
    # this module's own snippets (bandit B102)
    exec(code, scope)  # nosec B102
    scope["cut"](image.read_bytes())
    status = Path("/proc/self/status").read_text()
    peak_kb = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])
    print(json.dumps({"peak_rss_mb": peak_kb / 1024}))


def _worker(*args: str, module: str = "bench.inference") -> dict | list:
    """Runs `python -m module *args` in a fresh process; its last stdout line is JSON."""
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("", "layers/core", "functions/inference")),
        "U2NET_HOME": os.environ.get("U2NET_HOME", str(ROOT / "models")),
        "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache")),
    }
    command = [sys.executable, "-m", module, *args]
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def _cold(side: str, image: Path) -> float:
    start = time.perf_counter()
    _worker("once", side, str(image))
    return time.perf_counter() - start


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-inference-") as tmp:
        folder = Path(tmp)
        _write_photos(folder)
        rows = _worker("warm", str(folder))
        rss = {side: _worker("once", side, str(folder / RSS_IMAGE))["peak_rss_mb"] for side in _SIDES}
        cold: dict[str, list[float]] = {side: [] for side in (*TIERS, "rembg")}
        for _ in range(REPEATS):
            for side in cold:
                cold[side].append(_cold(side, folder / COLD_IMAGE))

    print(
        f"{'size':<7}{'photo':<11}{'pixels':>11}{'ours s':>8}{'rembg s':>9}{'ratio':>7}{'IoU':>8}"
        f"{'MB ours/rembg':>15}"
    )
    for row in rows:
        width, height = row["pixels"]
        print(
            f"{row['size']:<7}{row['photo']:<11}{f'{width}×{height}':>11}{row['ours_s']:>8.3f}"
            f"{row['rembg_s']:>9.3f}{row['ours_s'] / row['rembg_s']:>7.2f}{row['iou']:>8.4f}"
            f"{row['ours_bytes'] / 1e6:>8.1f}/{row['rembg_bytes'] / 1e6:.1f}"
        )
    figures: dict[str, float] = {}
    for size in SIZES:
        ours = sum(row["ours_s"] for row in rows if row["size"] == size)
        theirs = sum(row["rembg_s"] for row in rows if row["size"] == size)
        figures |= {
            f"warm_s_{size}": ours,
            f"warm_rembg_s_{size}": theirs,
            f"warm_ratio_{size}": ours / theirs,
        }
        print(
            f"warm {size} (sum over photos): ours {ours:.3f} s, rembg {theirs:.3f} s, "
            f"ratio {ours / theirs:.3f}"
        )
    cold_ours, cold_rembg = statistics.median(cold["basic"]), statistics.median(cold["rembg"])
    figures |= {
        "iou_min": min(row["iou"] for row in rows),
        "rss_12mp_mb": rss["ours"],
        "rss_12mp_rembg_mb": rss["rembg"],
        "cold_s": cold_ours,
        "cold_rembg_s": cold_rembg,
        "cold_ratio": cold_ours / cold_rembg,
    } | {f"cold_s_{tier}": statistics.median(cold[tier]) for tier in TIERS}
    print(f"IoU min {figures['iou_min']:.4f}")
    print(
        f"peak RSS, one 12 MP cutout in a fresh process: ours {rss['ours']:.0f} MB, "
        f"rembg {rss['rembg']:.0f} MB"
    )
    print(
        f"cold start (fresh process, import + first 2.5 MP cutout): ours {cold_ours:.2f} s, "
        f"rembg {cold_rembg:.2f} s, ratio {cold_ours / cold_rembg:.3f}"
    )
    print("cold start per tier: " + ", ".join(f"{t} {figures[f'cold_s_{t}']:.2f} s" for t in TIERS))
    return figures


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "warm":
        _warm(Path(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "once":
        _once(sys.argv[2], Path(sys.argv[3]))
    else:
        print(json.dumps(run(), indent=2))
