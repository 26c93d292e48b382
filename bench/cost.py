"""Lambda cost per 1,000 images per tier, and the memory that sizes the two inference functions.

Each tier runs in the function template.yaml routes it to (bgr_core.dispatch.tier_routing), with that
function's MemorySize, which buys MemorySize / 1,769 vCPUs. Measured here, each in a fresh
process that has imported the inference handler (boto3, powertools and all):

- time: the cutout pipeline (decode, segment, refine, encode) of a 2.5 MP photo, warm, best of
  REPEATS, pinned with taskset to 1 core and to 2 cores. The time at a function's vCPU share
  comes from those two: at most one vCPU the work slows in proportion (t1 / share); above it,
  Amdahl's law with the serial fraction the 1- and 2-core times show (beyond 2 vCPUs that is
  an extrapolation and says so). S3 and DynamoDB calls are not timed (tens of ms in AWS).
- memory: peak RSS (VmHWM) of one first cutout at 12 MP and at 25 MP (the largest accepted),
  model loading included. MemorySize must hold the 25 MP peak with headroom.

Only the models these machines have run here (tiers whose model is not provisioned run the
fallback, as in production when a model is left out of the image): the figures say which model
ran; a tier's production model costs more time and memory than its fallback.

Standalone: python -m bench.cost
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bgr_core.platform.config import LAMBDA_MB_PER_VCPU as MB_PER_VCPU
from bgr_local.template import Template

ROOT = Path(__file__).resolve().parent.parent
PRICE_GB_S = 0.0000166667  # x86_64, USD per GB-second (first pricing tier)
PRICE_REQUEST = 0.20 / 1_000_000  # USD per request
REPEATS = 3
SIZES = {"2_5mp": (1600, 1600), "12mp": (4000, 3000), "25mp": (5000, 5000)}
FUNCTION = {"light": "LightInferenceFunction", "matting": "MattingInferenceFunction"}


def _write_photo(path: Path, pixels: tuple[int, int]) -> None:
    from PIL import Image
    from skimage import data

    Image.fromarray(data.astronaut()).resize(pixels, Image.Resampling.BICUBIC).save(path, quality=90)


def _worker(tier: str, image: Path, repeats: int) -> None:
    """In a fresh process: the handler's imports, then `repeats` cutouts; prints JSON (each run's
    seconds and stage timings, the result's size, the model that ran, the peak RSS)."""
    import app  # noqa: F401  (the inference handler: what an instance holds besides the cutout)

    from cutout import pipeline

    data = image.read_bytes()
    seconds, laps, model, size = [], [], "", 0
    for _ in range(repeats):
        started = time.perf_counter()
        result = pipeline.run(data, tier)
        seconds.append(time.perf_counter() - started)
        laps.append(result.timings)
        model, size = result.model_name, len(result.image)
    status = Path("/proc/self/status").read_text()
    peak_kb = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])
    figures = {"seconds": seconds, "laps": laps, "result_bytes": size, "model": model}
    print(json.dumps(figures | {"peak_rss_mb": peak_kb / 1024}))


def _measure(tier: str, image: Path, repeats: int, cores: str | None = None) -> dict:
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("", "layers/core", "functions/inference")),
        "U2NET_HOME": os.environ.get("U2NET_HOME", str(ROOT / "models")),
        "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache")),
        "AWS_DEFAULT_REGION": "ap-southeast-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    command = [sys.executable, "-m", "bench.cost", "worker", tier, str(image), str(repeats)]
    command = ["taskset", "-c", cores, *command] if cores else command
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def seconds_at(share: float, one: float, two: float) -> float:
    """Time at `share` vCPUs from the times measured on 1 and 2 cores (see the module's doc)."""
    if share <= 1:
        return one / share
    serial = min(1.0, max(0.0, 2 * two / one - 1))
    return one * (serial + (1 - serial) / share)


def cost_per_1000(seconds: float, memory_mb: int) -> float:
    return 1000 * (seconds * memory_mb / 1024 * PRICE_GB_S + PRICE_REQUEST)


def run() -> dict[str, float]:
    template = Template()
    os.environ.update(template.environment("LightInferenceFunction"))  # before bgr_core reads it
    from bgr_core.dispatch.tier_routing import tier_class
    from bgr_core.money.pricing import TIERS

    memory = {c: int(template.resources[f]["Properties"]["MemorySize"]) for c, f in FUNCTION.items()}
    router_mb = int(template.resources["IngestRouterFunction"]["Properties"]["MemorySize"])
    figures: dict[str, float] = {}
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-cost-") as tmp:
        photos = {size: Path(tmp) / f"astronaut_{size}.jpg" for size in SIZES}
        for size, path in photos.items():
            _write_photo(path, SIZES[size])
        for tier in TIERS:
            kind = tier_class(tier)
            share = memory[kind] / MB_PER_VCPU
            one = _measure(tier, photos["2_5mp"], REPEATS + 1, cores="0")
            two = _measure(tier, photos["2_5mp"], REPEATS + 1, cores="0,1")
            t1, t2 = min(one["seconds"][1:]), min(two["seconds"][1:])
            rss = {size: _measure(tier, photos[size], 1)["peak_rss_mb"] for size in ("12mp", "25mp")}
            seconds = seconds_at(share, t1, t2)
            cost = cost_per_1000(seconds, memory[kind])
            rows.append((tier, kind, one["model"], t1, t2, share, seconds, rss, cost))
            figures |= {
                f"cost_per_1000_usd_{tier}": cost,
                f"cost_seconds_{tier}": seconds,
                f"rss_12mp_mb_{tier}": rss["12mp"],
                f"rss_25mp_mb_{tier}": rss["25mp"],
            }
    print(
        f"{'tier':<13}{'function (MB, vCPU)':<24}{'model ran':<11}{'1 core s':>9}{'2 cores s':>10}"
        f"{'at share s':>11}{'12MP MB':>9}{'25MP MB':>9}{'$/1000':>9}"
    )
    for tier, kind, model, t1, t2, share, seconds, rss, cost in rows:
        function = f"{kind} ({memory[kind]}, {share:.2f})"
        print(
            f"{tier:<13}{function:<24}{model:<11}{t1:>9.2f}{t2:>10.2f}{seconds:>11.2f}"
            f"{rss['12mp']:>9.0f}{rss['25mp']:>9.0f}{cost:>9.4f}"
        )
    print(
        f"assumptions: x86_64 Lambda at ${PRICE_GB_S:.10f} per GB-s and ${PRICE_REQUEST * 1e6:.2f} per 1M "
        f"requests (no free tier); {MB_PER_VCPU} MB = 1 vCPU; one request per image (an SQS batch "
        f"shares one, so this is the upper bound); time: 2.5 MP JPEG, warm; the router "
        f"({router_mb} MB) adds ${PRICE_REQUEST * 1e6:.2f} per 1M images plus its few ms; "
        "Rp and S3/DynamoDB/SQS charges not included"
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"this machine: {os.cpu_count()} cores, load average {load} (times are the best of {REPEATS})")
    return figures


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        _worker(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
    else:
        print(json.dumps(run(), indent=2))
