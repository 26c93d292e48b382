"""Quality per tier against ground truth: every tier of the pipeline and `rembg.remove` (the same
u2netp model) on the composites of bench/composites.py, scored by bench/metrics.py.

One worker process runs every side on each composite in turn (interleaved, so the shared
machine's noise falls on all alike), after one warm-up each; a side's time on an image is its
best of REPEATS. Quality: the mean over composites. Time: median and 90th percentile over the
composites of ≤ 4 MP, and the same of each image's time / basic's time on it.

Then the colour stage alone: each composite's photo colour and industry's decontamination of it,
both on the true alpha, so that the mask's errors (the same for every tier) are left out of the
foreground colour error and halo.

Standalone: python -m bench.quality   (BENCH_REPEATS=n, BENCH_SIDES=basic,industry,...)
"""

import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

from bench.inference import ROOT, _worker

REPEATS = int(os.environ.get("BENCH_REPEATS", "2"))
SIDES = ("basic", "standard", "professional", "industry", "rembg")
TIMED_UP_TO_MP = 4.0
CACHE = ROOT / "out" / "bench-composites"  # drawn once per GENERATOR_VERSION
ROWS = ROOT / "out" / "bench-quality.json"  # every (composite, side) score


def _cutters(names) -> dict:
    cutters = {}
    for side in names:
        if side == "rembg":
            import rembg

            session = rembg.new_session("u2netp")
            cutters[side] = lambda data, session=session: rembg.remove(data, session=session)
        else:
            from cutout import pipeline

            cutters[side] = lambda data, tier=side: pipeline.run(data, tier).image
    return cutters


def _warm(folder: Path, names: list[str]) -> None:
    """Worker: every side on every composite; prints one JSON row per (composite, side)."""
    import numpy as np
    from PIL import Image

    from bench import composites, metrics

    cutters = _cutters(names)
    rows = []
    for k, composite in enumerate(composites.load(folder)):
        image = np.asarray(Image.open(io.BytesIO(composite.jpeg)).convert("RGB"))
        for side, cut in cutters.items():
            if k == 0:
                cut(composite.jpeg)  # warm-up
            best, output = float("inf"), b""
            for _ in range(REPEATS):
                start = time.perf_counter()
                output = cut(composite.jpeg)
                best = min(best, time.perf_counter() - start)
            rgba = np.asarray(Image.open(io.BytesIO(output)).convert("RGBA"))
            scores = metrics.measure(
                composite.alpha,
                composite.foreground,
                image,
                rgba[..., 3].astype(np.float32) / 255,
                rgba[..., :3],
            )
            spec = composite.spec
            rows.append(
                {
                    "name": spec.name,
                    "subject": spec.subject,
                    "mp": spec.width * spec.height / 1e6,
                    "side": side,
                }
                | scores
                | {"s": best}
            )
            print(
                f"  {spec.name:<24}{spec.width}×{spec.height:<6}{side:<13}"
                + "".join(f"{scores[f]:>8.3f}" for f in metrics.FIELDS)
                + f"{best:>8.2f}s",
                file=sys.stderr,
                flush=True,
            )
    print(json.dumps(rows))


def _colour_on_truth(folder: Path) -> None:
    """Worker: fg colour error and halo of the photo's own colour and of its decontamination, on
    each composite's true alpha; prints one JSON row per (composite, side)."""
    import numpy as np
    from PIL import Image

    from bench import composites, metrics
    from cutout import refine

    rows = []
    for composite in composites.load(folder):
        image = Image.open(io.BytesIO(composite.jpeg)).convert("RGB")
        alpha = np.round(composite.alpha * 255).astype(np.uint8)
        got, photo = alpha / np.float32(255), np.asarray(image)  # the alpha a cutout would carry
        for side, rgb in (
            ("photo", photo),
            ("decontaminated", np.asarray(refine.decontaminate(image, Image.fromarray(alpha)))),
        ):
            scores = metrics.measure(composite.alpha, composite.foreground, photo, got, rgb)
            rows.append({"subject": composite.spec.subject, "side": side} | scores)
    print(json.dumps(rows))


def _per_subject(rows: list[dict]) -> None:
    subjects = list(dict.fromkeys(row["subject"] for row in rows))
    print(f"{'side':<15}" + "".join(f"{s:>16}" for s in subjects))
    for side in dict.fromkeys(row["side"] for row in rows):
        cells = []
        for subject in subjects:
            mine = [row for row in rows if row["side"] == side and row["subject"] == subject]
            fg, halo = statistics.fmean(r["fg"] for r in mine), statistics.fmean(r["halo"] for r in mine)
            cells.append(f"{fg:>7.2f} /{halo:>6.2f}")
        print(f"{side:<15}" + "".join(f"{c:>16}" for c in cells))


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def summarise(rows: list[dict]) -> dict[str, float]:
    from bench.metrics import FIELDS

    sides = list(dict.fromkeys(row["side"] for row in rows))
    basic = {row["name"]: row["s"] for row in rows if row["side"] == "basic"}
    figures: dict[str, float] = {}
    timed = sum(1 for r in rows if r["side"] == sides[0] and r["mp"] <= TIMED_UP_TO_MP)
    print(
        f"{len(basic) or len(rows)} composites; quality: mean over all; "
        f"time: over the {timed} of ≤ {TIMED_UP_TO_MP:g} MP"
    )
    print(
        f"{'side':<13}"
        + "".join(f"{f:>8}" for f in FIELDS)
        + f"{'med s':>8}{'p90 s':>8}{'×basic':>8}{'p90 ×':>8}"
    )
    for side in sides:
        mine = [row for row in rows if row["side"] == side]
        timed = [row for row in mine if row["mp"] <= TIMED_UP_TO_MP]
        means = {f: statistics.fmean(row[f] for row in mine) for f in FIELDS}
        times = [row["s"] for row in timed]
        ratios = [row["s"] / basic[row["name"]] for row in timed if row["name"] in basic]
        line = {
            **means,
            "median_s": statistics.median(times),
            "p90_s": _p90(times),
            "ratio_median": statistics.median(ratios) if ratios else float("nan"),
            "ratio_p90": _p90(ratios) if ratios else float("nan"),
        }
        figures |= {f"quality_{side}_{key}": value for key, value in line.items()}
        print(
            f"{side:<13}"
            + "".join(f"{means[f]:>8.3f}" for f in FIELDS)
            + "".join(f"{line[k]:>8.2f}" for k in ("median_s", "p90_s", "ratio_median", "ratio_p90"))
        )
    print("\nfg colour error / halo per subject (mean over its backgrounds):")
    _per_subject(rows)
    return figures


def run() -> dict[str, float]:
    names = os.environ.get("BENCH_SIDES", ",".join(SIDES)).split(",")
    rows = _worker("warm", str(CACHE), ",".join(names), module="bench.quality")
    ROWS.write_text(json.dumps(rows, indent=1))
    figures = summarise(rows)
    truth = _worker("truth", str(CACHE), module="bench.quality")
    print("\nthe colour stage alone, on the true alpha: fg colour error / halo per subject")
    _per_subject(truth)
    for side in ("photo", "decontaminated"):
        for field in ("fg", "halo"):
            figures[f"quality_true_alpha_{side}_{field}"] = statistics.fmean(
                row[field] for row in truth if row["side"] == side
            )
    return figures


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "warm":
        _warm(Path(sys.argv[2]), sys.argv[3].split(","))
    elif len(sys.argv) > 1 and sys.argv[1] == "truth":
        _colour_on_truth(Path(sys.argv[2]))
    else:
        print(json.dumps(run(), indent=2))
