"""A whole batch as a user drives it, against the tool they would pick instead.

- service: `python -m bgr_local serve` (the local runtime, as `make serve` starts it) in a process
  of its own, and `bgr batch FOLDER --tier basic` against it, as a user types it: the batch
  created and charged, every photo sent by its presigned POST, S3 events -> router -> inference
  queue -> the inference function -> settlement -> the ZIP workflow, the ZIP downloaded. Wall
  time is the CLI's, from its start to the ZIP on disk.
- rembg: `rembg p -m u2netp FOLDER OUT` (bench/rembg_p.py), the same model, the same photos.

N photos of about 1 MP (BENCH_BATCH_N, default 100; `make bench BATCH_N=500`), drawn from
scikit-image's sample pictures (a crop, a flip, a hue turn each, so no two are the same file).
pipeline = the sum of the items' processingTime (decode, segment, refine, encode);
plumbing share = (wall - pipeline) / wall, everything that is not the cutout itself (with
several instances at once the pipelines overlap, so this share can be small or negative).
Peak RSS: the runtime's process tree (it, moto, every function instance), sampled every
SAMPLE_S; rembg's likewise.

Standalone: python -m bench.batch
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNT = int(os.environ.get("BENCH_BATCH_N") or 100)
PIXELS = 1_000_000
TIER = "basic"
SAMPLE_S = 0.25
READY = "Local runtime ready"


def write_photos(folder: Path, count: int) -> None:
    import numpy as np
    from PIL import Image
    from skimage import data

    sources = [getattr(data, name)() for name in ("astronaut", "chelsea", "coffee", "rocket")]
    rng = np.random.default_rng(23)
    for index in range(count):
        pixels = sources[index % len(sources)]
        height, width = pixels.shape[:2]
        keep = rng.uniform(0.75, 1.0)
        h, w = round(height * keep), round(width * keep)
        top, left = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
        photo = Image.fromarray(pixels[top : top + h, left : left + w])
        if index % 2:
            photo = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        hsv = np.asarray(photo.convert("HSV")).copy()
        hsv[..., 0] += np.uint8(rng.integers(0, 24))
        photo = Image.fromarray(hsv, "HSV").convert("RGB")
        scale = (PIXELS / (w * h)) ** 0.5
        photo = photo.resize((round(w * scale), round(h * scale)), Image.Resampling.BICUBIC)
        photo.save(folder / f"IMG_{index:04d}.jpg", quality=90)


class TreeRss:
    """The peak of the summed RSS of a process and all its descendants, sampled in a thread, and
    the CPU seconds each of them had used when last seen."""

    def __init__(self, pid: int):
        self.pid, self.peak_mb = pid, 0.0
        self.cpu_s: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "TreeRss":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(SAMPLE_S)

    def sample(self) -> None:
        pids = _tree(self.pid)
        self.peak_mb = max(self.peak_mb, sum(_rss_kb(pid) for pid in pids) / 1024)
        for pid in pids:
            seen = _cpu(pid)
            if seen is not None:
                self.cpu_s[pid] = seen

    def cpu_by_name(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for name, seconds in self.cpu_s.values():
            totals[name] = totals.get(name, 0.0) + seconds
        return dict(sorted(totals.items(), key=lambda item: -item[1]))


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                todo += [int(c) for c in Path(f"/proc/{current}/task/{task}/children").read_text().split()]
        except OSError:
            continue
    return found


def _cpu(pid: int) -> tuple[str, float] | None:
    """(what the process is: a function instance's logical id, else its module, CPU seconds)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    words = [w.decode() for w in argv if w]
    name = words[-1] if "bgr_local.instance" in words else " ".join(words[1:3])
    return name, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env() -> dict[str, str]:
    return os.environ | {
        "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("", "layers/core")),
        "U2NET_HOME": os.environ.get("U2NET_HOME", str(ROOT / "models")),
        "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache")),
    }


def run_rembg(folder: Path, out: Path) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.rembg_p", "-m", "u2netp", str(folder), str(out)]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=_env(), stderr=subprocess.DEVNULL)
    with TreeRss(process.pid) as rss:
        if process.wait():
            raise RuntimeError(f"rembg p exited with {process.returncode}")
    wall = time.perf_counter() - start
    made = len(list(out.glob("*.png")))
    if made != len(list(folder.glob("*.jpg"))):
        raise RuntimeError(f"rembg p wrote {made} cutouts")
    return {"wall_s": wall, "peak_rss_mb": rss.peak_mb}


def run_service(folder: Path, work: Path) -> dict[str, float]:
    from bgr_cli.client import Client
    from bgr_local import tokens

    api_port, s3_port = _free_port(), _free_port()
    env = _env() | {"BGR_LOCAL_SECRET": "bench-batch"}
    log = (work / "runtime.log").open("w")
    runtime = subprocess.Popen(
        [sys.executable, "-m", "bgr_local", "serve", f"--api-port={api_port}", f"--s3-port={s3_port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        with TreeRss(runtime.pid) as rss:
            for line in runtime.stdout:
                if line.startswith(READY):
                    break
            else:
                raise RuntimeError(f"the runtime exited with {runtime.wait()}; see {log.name}")
            threading.Thread(target=runtime.stdout.read, daemon=True).start()
            base = f"http://127.0.0.1:{api_port}"
            secret = env["BGR_LOCAL_SECRET"].encode()
            user = tokens.sign("bench-batch", secret=secret)
            admin = tokens.sign("bench-admin", ("admin",), secret=secret)
            Client(base, admin).grant("bench-batch", 1_000_000, "bench")
            out = work / "batch.zip"
            rss.sample()
            before = rss.cpu_by_name()
            start = time.perf_counter()
            _cli(base, user, work, "batch", str(folder), "--tier", TIER, "-o", str(out))
            wall = time.perf_counter() - start
            rss.sample()
            cpu = {name: s - before.get(name, 0.0) for name, s in rss.cpu_by_name().items()}
            client = Client(base, user)
            items = client.batch_items(client.batches()[0]["id"])
    finally:
        runtime.send_signal(signal.SIGINT)
        runtime.wait(60)
        log.close()
    with zipfile.ZipFile(out) as archive:
        cutouts = [n for n in archive.namelist() if n.endswith(".png")]
    done = [i for i in items if i["status"] == "completed"]
    if len(cutouts) != len(items) or len(done) != len(items):
        raise RuntimeError(f"{len(done)} of {len(items)} items completed, {len(cutouts)} in the ZIP")
    pipeline = sum(i["processingTime"] for i in done) / 1000
    return {"wall_s": wall, "pipeline_s": pipeline, "peak_rss_mb": rss.peak_mb, "cpu_s": cpu}


def _cli(base: str, token: str, work: Path, *args: str) -> None:
    """`bgr ARGS` as a user runs it (its entry point, bgr_cli.main:main), in a process of its own."""
    env = _env() | {"BGR_BASE_URL": base, "BGR_TOKEN": token, "BGR_STATE_DIR": str(work / "state")}
    code = "from bgr_cli.main import main; main()"
    command = [sys.executable, "-c", code, *args]
    with (work / "cli.log").open("w") as log:  # its progress bars
        subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=log, check=True)


def run(with_rembg: bool = True) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        work = Path(tmp)
        folder = work / "photos"
        folder.mkdir()
        write_photos(folder, COUNT)
        rembg = run_rembg(folder, work / "rembg") if with_rembg else None
        ours = run_service(folder, work)
    wall, pipeline = ours["wall_s"], ours["pipeline_s"]
    key = f"batch_{COUNT}"
    figures = {
        f"{key}_wall_s": wall,
        f"{key}_pipeline_s": pipeline,
        f"{key}_plumbing_share": (wall - pipeline) / wall,
        f"{key}_images_per_min": 60 * COUNT / wall,
        f"{key}_peak_rss_mb": ours["peak_rss_mb"],
    }
    print(f"{COUNT} photos of ~{PIXELS / 1e6:g} MP, tier {TIER}, against rembg p -m u2netp")
    print(f"{'':<36}{'wall s':>8}{'img/min':>9}{'peak RSS MB':>13}")
    rows = [("service: bgr batch -> ZIP on disk", ours)] + (
        [("rembg p: folder -> PNGs", rembg)] if rembg else []
    )
    for label, row in rows:
        print(
            f"{label:<36}{row['wall_s']:>8.1f}{60 * COUNT / row['wall_s']:>9.1f}{row['peak_rss_mb']:>13.0f}"
        )
    print(f"pipeline sum {pipeline:.1f} s, plumbing share {(wall - pipeline) / wall:.0%}")
    busy = sum(ours["cpu_s"].values())
    print(
        f"CPU seconds during the batch: {busy:.1f} in all; "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in ours["cpu_s"].items() if seconds >= 0.5)
    )
    if rembg:
        print(f"ratio service / rembg p: {wall / rembg['wall_s']:.2f}")
        figures |= {
            f"{key}_rembg_wall_s": rembg["wall_s"],
            f"{key}_rembg_peak_rss_mb": rembg["peak_rss_mb"],
            f"{key}_ratio": wall / rembg["wall_s"],
        }
    return figures


if __name__ == "__main__":  # `python -m bench.batch service`: the service side alone
    print(json.dumps(run(with_rembg=sys.argv[1:] != ["service"]), indent=2))
