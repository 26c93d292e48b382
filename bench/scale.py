"""500 images per tier on AWS, on paper: time to the first result, to the ZIP, and what it costs,
computed from template.yaml and from per-image seconds measured here.

From the template: each function's MemorySize (-> its vCPU share: 1,769 MB buys one vCPU, at
most 6), the inference queues' BatchSize, MaximumBatchingWindowInSeconds and ScalingConfig
MaximumConcurrency, the router's batch size and window, the ZIP Map's MaxConcurrency
(infra/batch_zip.asl.json) and the zipper's segment plan (functions/batch_zip/zipper/plan.py).
Measured here: the pipeline's warm time for one ~1 MP photo (bench.batch's kind) per tier on 1
core and on 2 cores (bench.cost: taskset), scaled to the function's vCPU share (below 1 vCPU in
proportion, above it by Amdahl's law fitted to the two), its segment (model) share, and the
size of its result.

The timeline is a small event simulation: every original is in S3 at t = 0 (the client's
uploads are not modelled); the SQS event source starts 5 concurrent batches and adds up to
300 a minute (AWS Lambda, "Configuring scaling behavior for SQS event source mappings") up to
MaximumConcurrency; each new instance first pays its Init; an invocation runs its batch's images
one after another. The ZIP starts when the last image settles. Every other constant is an
ASSUMPTIONS entry, printed with the result.

Production models (not in this repository's image) are priced by replacing the measured model
time with a published CPU timing (MODELS below, each with its source); those sources do not
name their CPUs, so their seconds are taken as seconds on PUBLISHED_VCPUS vCPUs.

Standalone: python -m bench.scale
"""

import heapq
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from bench import cost
from bgr_local.template import Template

ROOT = Path(__file__).resolve().parent.parent
IMAGES = 500
TARGET_S = 120.0
TIERS = ("basic", "professional")
PIXELS = (1155, 866)  # ~1 MP, 4:3, as the batch benchmark's photos
REPEATS = 3
MAX_VCPU = 6

ASSUMPTIONS = {
    "s3_event_s": (1.0, "S3 -> SQS event delivery"),
    "sqs_hop_s": (0.05, "an SQS send to a poller's receive, per queue hop"),
    "router_s_per_message": (0.02, "router: one SQS send per object (a batch's tier is read once)"),
    "zip_init_s": (1.0, "Init of a Python zip function with the core layer"),
    "image_init_s": (3.0, "Init of the inference container (image pull cached, handler import)"),
    "model_load_mb_per_s": (200.0, "reading a model file at Init, added to image_init_s"),
    "io_s_per_image": (0.15, "per image: S3 get and put, the DynamoDB writes of settlement"),
    "sfn_start_s": (0.5, "StartExecution to the Plan task running"),
    "plan_s": (0.5, "the Plan task's DynamoDB query and plan object"),
    "segment_mb_per_s": (60.0, "one ZipSegment Lambda's S3 read+write throughput"),
    "complete_s": (1.0, "Finalize's CompleteMultipartUpload of the ZIP's parts"),
    "pollers_initial": (5, "concurrent batches an SQS event source starts with"),
    "pollers_per_minute": (300, "batches an SQS event source adds per minute"),
}
PRICES = {  # USD, us-east-1 list prices, no free tier
    "lambda_gb_s": cost.PRICE_GB_S,
    "lambda_request": cost.PRICE_REQUEST,
    "sqs_request": 0.40 / 1e6,
    "s3_put": 0.005 / 1000,
    "s3_get": 0.0004 / 1000,
    "dynamodb_write": 0.625 / 1e6,
    "dynamodb_read": 0.125 / 1e6,
    "sfn_transition": 0.025 / 1000,
}
# Per image: SQS requests (event, router send, two receives, two deletes), S3 puts (original,
# result) and gets (router-free: the original, the ZIP segment's read), DynamoDB writes and reads.
PER_IMAGE = {"sqs_request": 6, "s3_put": 2, "s3_get": 2, "dynamodb_write": 6, "dynamodb_read": 4}

FUNCTIONS = {"light": "LightInferenceFunction", "matting": "MattingInferenceFunction"}
PUBLISHED_VCPUS = 4
MODELS = {  # model -> (MB, seconds per 1024² image on a CPU, the source)
    "isnet-general-use": (
        178,
        1.1,
        "rembg/ISNet 1.1 s average per image, CPU not stated: O. Prakash, 'BiRefNet vs rembg vs U2Net', "
        "dev.to, 2026",
    ),
    "birefnet-general-lite": (
        214,
        6.0,
        "BiRefNet_lite ONNX on CPU, 6 s per image: github.com/ZhengPeng7/BiRefNet/issues/259",
    ),
    "birefnet-general": (
        928,
        24.0,
        "4x BiRefNet_lite: Swin-L against Swin-T backbone (34.5 vs 4.5 GFLOPs at 224², Liu et al., "
        "'Swin Transformer', 2021, table 1) with the decoder shared",
    ),
}


def a(name: str) -> float:
    return ASSUMPTIONS[name][0]


@dataclass(frozen=True)
class Function:
    logical: str
    memory_mb: int
    batch_size: int
    window_s: float
    max_concurrency: int

    @property
    def vcpu(self) -> float:
        return min(MAX_VCPU, self.memory_mb / cost.MB_PER_VCPU)


def function(template: Template, logical: str) -> Function:
    """A function of the template with its SQS event source's settings."""
    props = template.resources[logical]["Properties"]
    (event,) = [e["Properties"] for e in props["Events"].values() if e["Type"] == "SQS"]
    scaling = event.get("ScalingConfig", {}).get("MaximumConcurrency")
    return Function(
        logical,
        int(props.get("MemorySize", template.body["Globals"]["Function"]["MemorySize"])),
        int(event.get("BatchSize", 10)),
        float(event.get("MaximumBatchingWindowInSeconds", 0)),
        int(template.resolve(scaling)) if scaling is not None else 1000,
    )


@dataclass(frozen=True)
class Zip:
    map_concurrency: int  # infra/batch_zip.asl.json
    segments: Callable[[float], int]  # zipper.plan's segment count for IMAGES results of that many MB


@dataclass(frozen=True)
class Timeline:
    first_s: float  # the first image settled
    last_s: float  # the last image settled
    zip_s: float  # the ZIP complete in S3
    instances: int
    busy_s: float  # inference instance-seconds, Init included
    invocations: int
    segments: int


def settle(fn: Function, seconds: float, init_s: float, start_s: float, count: int) -> tuple:
    """Batches of fn.batch_size images, `seconds` each plus their I/O, all waiting at `start_s`.
    Instance k may start once the event source's ramp allows k + 1 concurrent batches; it pays
    Init before its first batch. Each batch goes to whichever instance can begin it first.
    Returns (first settled, last settled, instances used, busy seconds, invocations)."""
    per_image = seconds + a("io_s_per_image")
    batches = [min(fn.batch_size, count - i) for i in range(0, count, fn.batch_size)]
    step = 60 / a("pollers_per_minute")
    ready = [
        (start_s + max(0.0, k + 1 - a("pollers_initial")) * step + init_s, k)
        for k in range(min(fn.max_concurrency, len(batches)))
    ]
    heapq.heapify(ready)
    used: set[int] = set()
    first, last, busy = math.inf, 0.0, 0.0
    for size in batches:
        begin, k = heapq.heappop(ready)
        if k not in used:
            used.add(k)
            busy += init_s
        end = begin + size * per_image
        first, last, busy = min(first, begin + per_image), max(last, end), busy + size * per_image
        heapq.heappush(ready, (end, k))
    return first, last, len(used), busy, len(batches)


def timeline(
    router: Function, fn: Function, zip_: Zip, seconds: float, init_s: float, result_mb: float
) -> Timeline:
    router_s = a("zip_init_s") + router.batch_size * a("router_s_per_message")
    routed = a("s3_event_s") + router.window_s + router_s
    start = routed + a("sqs_hop_s") + (fn.window_s if fn.batch_size > 1 else 0.0)
    first, last, instances, busy, invocations = settle(fn, seconds, init_s, start, IMAGES)
    total_mb = IMAGES * result_mb
    segments = zip_.segments(result_mb)
    segment_mb = total_mb / segments
    waves = math.ceil(segments / zip_.map_concurrency)
    segment_s = a("zip_init_s") + segment_mb / a("segment_mb_per_s")
    # Finalize uploads the last part (under one part of 5 MiB, manifest and directory) and completes
    finalize_s = a("zip_init_s") + 5.0 / a("segment_mb_per_s") + a("complete_s")
    zip_s = last + a("sfn_start_s") + a("zip_init_s") + a("plan_s") + waves * segment_s + finalize_s
    return Timeline(first, last, zip_s, instances, busy, invocations, segments)


def dollars(fn: Function, line: Timeline) -> float:
    per_image = sum(PRICES[k] * n for k, n in PER_IMAGE.items()) * IMAGES
    requests = line.invocations + math.ceil(IMAGES / 10) + line.segments + 2  # + router, Plan, Finalize
    transitions = 4 + 2 * line.segments
    return (
        line.busy_s * fn.memory_mb / 1024 * PRICES["lambda_gb_s"]
        + requests * PRICES["lambda_request"]
        + transitions * PRICES["sfn_transition"]
        + per_image
    )


def required_concurrency(router, fn, zip_, seconds, init_s, result_mb) -> int | None:
    """The smallest MaximumConcurrency (2-1000) that settles IMAGES and zips them in TARGET_S."""
    for concurrency in range(2, 1001):
        trial = replace(fn, max_concurrency=concurrency)
        if timeline(router, trial, zip_, seconds, init_s, result_mb).zip_s <= TARGET_S:
            return concurrency
    return None


def _measured(tier: str, photo: Path) -> dict:
    one = cost._measure(tier, photo, REPEATS + 1, cores="0")
    two = cost._measure(tier, photo, REPEATS + 1, cores="0,1")
    best = min(range(1, REPEATS + 1), key=lambda i: one["seconds"][i])
    return {
        "one": one["seconds"][best],
        "two": min(two["seconds"][1:]),
        "model_share": one["laps"][best]["segment"] / (1000 * one["seconds"][best]),
        "result_mb": one["result_bytes"] / 1e6,
        "model": one["model"],
    }


def run() -> dict[str, float]:
    if str(ROOT / "functions/batch_zip") not in sys.path:  # the zipper's constants
        sys.path.append(str(ROOT / "functions/batch_zip"))
    from zipper.plan import plan_archive

    def segments(result_mb: float) -> int:
        results = [{"key": "", "size": round(result_mb * 1e6), "name": f"{i}.png"} for i in range(IMAGES)]
        return len(plan_archive(results, datetime.now(UTC))["segments"])

    template = Template()
    os.environ.update(template.environment("LightInferenceFunction"))
    from bgr_core.dispatch.tier_routing import tier_class
    from bgr_core.platform.config import get_settings

    definition = json.loads((ROOT / "infra/batch_zip.asl.json").read_text())
    zip_ = Zip(int(definition["States"]["Segments"]["MaxConcurrency"]), segments)
    router = function(template, "IngestRouterFunction")
    functions = {c: function(template, logical) for c, logical in FUNCTIONS.items()}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        photo = Path(tmp) / "photo.jpg"
        cost._write_photo(photo, PIXELS)
        measured = {tier: _measured(tier, photo) for tier in TIERS}

    figures: dict[str, float] = {}
    print(f"{IMAGES} images of ~1 MP per tier, the template's defaults, every original in S3 at t = 0")
    print(
        f"{'tier (model that runs today)':<34}{'MB':>6}{'vCPU':>6}{'batch':>6}{'conc.':>6}{'s/img':>7}"
        f"{'first s':>8}{'last s':>8}{'ZIP s':>7}{'USD':>8}"
    )
    for tier in TIERS:
        m, fn = measured[tier], functions[tier_class(tier)]
        m["at_share"] = seconds = cost.seconds_at(fn.vcpu, m["one"], m["two"])
        line = timeline(router, fn, zip_, seconds, a("image_init_s"), m["result_mb"])
        usd = dollars(fn, line)
        print(
            f"{tier + ' (' + m['model'] + ')':<34}{fn.memory_mb:>6}{fn.vcpu:>6.2f}{fn.batch_size:>6}"
            f"{fn.max_concurrency:>6}{seconds:>7.2f}{line.first_s:>8.1f}{line.last_s:>8.1f}"
            f"{line.zip_s:>7.1f}{usd:>8.3f}"
        )
        figures |= {
            f"scale_{tier}_first_s": line.first_s,
            f"scale_{tier}_zip_s": line.zip_s,
            f"scale_{tier}_usd": usd,
            f"scale_{tier}_seconds_per_image": seconds,
        }

    print(f"\nthe configured production models: what {IMAGES} images to their ZIP in {TARGET_S:.0f} s need")
    print(f"{'tier (model)':<34}{'s/img':>7}{'Init s':>7}{'MaximumConcurrency':>19}{'ZIP s':>7}{'USD':>8}")
    for tier, plan in get_settings().tier_models.items():
        if plan.model not in MODELS:
            continue
        kind = tier_class(tier)
        fn, base = functions[kind], measured["professional" if kind == "matting" else "basic"]
        mb, published, _ = MODELS[plan.model]
        seconds = base["at_share"] * (1 - base["model_share"]) + published * PUBLISHED_VCPUS / fn.vcpu
        init_s = a("image_init_s") + mb / a("model_load_mb_per_s")
        needed = required_concurrency(router, fn, zip_, seconds, init_s, base["result_mb"])
        label = f"{tier} ({plan.model})"
        if needed is None:
            print(f"{label:<34}{seconds:>7.1f}{init_s:>7.1f}{'over 1000':>19}")
            continue
        trial = replace(fn, max_concurrency=needed)
        line = timeline(router, trial, zip_, seconds, init_s, base["result_mb"])
        usd = dollars(trial, line)
        print(f"{label:<34}{seconds:>7.1f}{init_s:>7.1f}{needed:>19}{line.zip_s:>7.1f}{usd:>8.3f}")
        figures[f"scale_{plan.model}_concurrency"] = needed

    print(f"\npublished model timings (s per 1024² image, taken as on {PUBLISHED_VCPUS} vCPUs):")
    for model, (mb, published, source) in MODELS.items():
        print(f"  {model} ({mb} MB): {published:g} s; {source}")
    print("assumptions:")
    for name, (value, meaning) in ASSUMPTIONS.items():
        print(f"  {name} = {value:g}: {meaning}")
    print(
        f"  per-image time: the pipeline measured here on {PIXELS[0]}×{PIXELS[1]} on 1 and 2 cores, scaled "
        "to the function's vCPU share (a core here taken as one Lambda vCPU); a production model's "
        "time replaces the measured model stage; USD: us-east-1 list prices, no free tier (Lambda "
        "GB-s with Init, requests, SQS, S3, DynamoDB on demand, Step Functions)"
    )
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
