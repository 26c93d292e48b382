"""Runs a segmentation model on an image: onnxruntime directly, with rembg's preprocessing.

rembg itself is not imported: it pulls in pymatting and numba, whose JIT compile would land on
the cold start of every tier. What rembg does per model lives in MODELS, checked against
rembg 2.0.86's session classes (u2net*, dis_*, birefnet_*).
"""

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from bgr_core.platform.config import LAMBDA_MB_PER_VCPU, Settings, get_settings
from bgr_core.platform.errors import ModelNotReady
from cutout import background

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ModelSpec:
    side: int  # the model's square input
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    sigmoid: bool = False  # BiRefNet outputs logits


MODELS = {
    "u2netp": ModelSpec(320, IMAGENET_MEAN, IMAGENET_STD),
    "u2net": ModelSpec(320, IMAGENET_MEAN, IMAGENET_STD),
    "u2net_human_seg": ModelSpec(320, IMAGENET_MEAN, IMAGENET_STD),
    "silueta": ModelSpec(320, IMAGENET_MEAN, IMAGENET_STD),
    "isnet-general-use": ModelSpec(1024, (0.5, 0.5, 0.5), (1.0, 1.0, 1.0)),
    "isnet-anime": ModelSpec(1024, (0.5, 0.5, 0.5), (1.0, 1.0, 1.0)),
    "birefnet-general": ModelSpec(1024, IMAGENET_MEAN, IMAGENET_STD, sigmoid=True),
    "birefnet-general-lite": ModelSpec(1024, IMAGENET_MEAN, IMAGENET_STD, sigmoid=True),
}

_sessions: dict[Path, ort.InferenceSession] = {}
_lock = threading.Lock()


def choose_model(settings: Settings, wanted: str) -> tuple[str, Path]:
    """The model that will really run: `wanted` if provisioned, else the settings' fallback."""
    for name in (wanted, settings.fallback_model):
        path = settings.model_file(name)
        if path is not None and name in MODELS:
            return name, path
    raise ModelNotReady(
        f"neither {wanted} nor the fallback {settings.fallback_model} is provisioned in {settings.models_dir}"
    )


def prepare(path: Path) -> None:
    """Starts loading the model on the helper thread if it is not loaded yet: a first cutout
    decodes its image meanwhile."""
    if path not in _sessions:
        background.beside(_session, path)


def predict(image: Image.Image, name: str, path: Path) -> np.ndarray:
    """The model's mask at its own resolution, float32 in [0, 1] (rembg's min-max scaling)."""
    spec = MODELS[name]
    session = _session(path)
    (output, *_) = session.run(None, {session.get_inputs()[0].name: _model_input(image, spec)})
    pred = output[0, 0]
    if spec.sigmoid:
        pred = 1.0 / (1.0 + np.exp(-pred))
    low, high = float(pred.min()), float(pred.max())
    return ((pred - low) / max(high - low, 1e-6)).astype(np.float32)


def _model_input(image: Image.Image, spec: ModelSpec) -> np.ndarray:
    rgb = image.convert("RGB") if image.mode != "RGB" else image
    pixels = np.asarray(_resize(rgb, spec.side), dtype=np.float32)
    pixels /= max(float(pixels.max()), 1e-6)
    pixels -= np.asarray(spec.mean, dtype=np.float32)
    pixels /= np.asarray(spec.std, dtype=np.float32)
    return pixels.transpose(2, 0, 1)[np.newaxis].copy()


def _resize(image: Image.Image, side: int) -> Image.Image:
    """Exactly rembg's LANCZOS resize to side×side (a cheaper pre-reduction moves some masks below
    0.99 IoU), its two halves at once: each half's box maps onto the same source rows with the
    same filter, so the rows come out as the whole resize's."""
    width, height = image.size
    rows = side // 2
    split = height * rows / side
    lanczos = Image.Resampling.LANCZOS
    top = background.pool.submit(image.resize, (side, rows), lanczos, (0, 0, width, split))
    bottom = image.resize((side, side - rows), lanczos, (0, split, width, height))
    out = Image.new("RGB", (side, side))
    out.paste(top.result(), (0, 0))
    out.paste(bottom, (0, rows))
    return out


def _session(path: Path) -> ort.InferenceSession:
    with _lock:
        if path not in _sessions:
            options = ort.SessionOptions()
            options.intra_op_num_threads = _threads()
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # Idle pool threads sleep instead of spinning: measured, spinning was no faster on
            # a quiet machine and slower on a loaded one, where it burns the share that the rest
            # of the cutout (and, locally, the other instances and moto) needs.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.log_severity_level = 3
            _sessions[path] = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        return _sessions[path]


def _threads() -> int:
    """Every CPU this process may run on; on Lambda, no more than the whole vCPUs its memory buys:
    a 2,048 MB function sees two CPUs but is given 1.16, and a second thread would mostly wait for
    that quota (measured locally, where instances share the cores: a batch image's cutout cost
    ~10 % more CPU with two threads than with one)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    memory = get_settings().function_memory_mb
    return cpus if memory is None else max(1, min(cpus, memory // LAMBDA_MB_PER_VCPU))
