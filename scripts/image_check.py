"""`make image-check`: the inference image as Lambda runs it, without Docker.

The image's file tree (scripts/inference_image.py, from functions/inference/image.toml) is
assembled under out/image-check/. For each tier, a job is created and charged and its original
uploaded to moto, exactly as the API does; the S3 event S3 sends goes through the router (the
real handler) to the queue of the function sized for the tier; and that SQS event is the first
invocation of the real inference handler in a fresh process under bubblewrap: the tree mounted
read-only at /var/task and /opt/models, everything but /tmp read-only, HOME unwritable, the
image's environment plus the function's from template.yaml, and strace recording every call
that would write a file.

It fails when Init takes over Lambda's 10 s, the first cutout over FIRST_INVOKE_LIMIT_S, a job
does not complete, or anything tries to write outside /tmp.
"""

import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers/core")]  # run as a script: python scripts/image_check.py

from bgr_local.template import Template  # noqa: E402
from scripts.image_entry import RESULT_MARK  # noqa: E402
from scripts.inference_image import Image  # noqa: E402

TREE = ROOT / "out/image-check"
ENTRY = ROOT / "scripts/image_entry.py"
INIT_LIMIT_S = 10.0  # Lambda's Init phase
FIRST_INVOKE_LIMIT_S = 8.0
CHECK_PIXELS = (1600, 1600)  # 2.5 MP
HOME = "/home/sbx_user1051"  # Lambda's sandbox user; nothing exists there, nothing can be made
# Calls that write: opens with these flags, and every call here that names a path.
_WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND")
_OPENS = ("open", "openat", "openat2", "creat")
_WRITES = (
    *("mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink", "unlinkat", "rmdir"),
    *("link", "linkat", "symlink", "symlinkat", "truncate", "chmod", "fchmodat", "chown"),
    *("lchown", "fchownat", "mknod", "mknodat", "utimes", "utimensat"),
)
# /tmp inside the sandbox: its own fresh tmpfs, where Lambda lets a function write (bandit B108)
SANDBOX_TMP = "/tmp"  # nosec B108
_ALLOWED = (f"{SANDBOX_TMP}/", "/dev/", "/proc/")
_CALL = re.compile(r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?(\w+)\((.*)$")


@dataclass
class Run:
    """One fresh sandboxed process: its Init, its invocations, what it tried to write."""

    tier: str
    function: str
    init_s: float
    invocations: list[dict]
    peak_rss_mb: float
    writes: list[str]
    returncode: int
    output_tail: str

    @property
    def first_s(self) -> float:
        return self.invocations[0]["seconds"] if self.invocations else float("nan")


def writes_outside_tmp(trace: str, cwd: str) -> list[str]:
    """strace -y lines of calls that would write a file outside /tmp, /dev and /proc (tried, that
    is: the sandbox lets none succeed)."""
    found = []
    for line in trace.splitlines():
        match = _CALL.match(line.strip())
        if not match or line.rstrip().endswith("EEXIST (File exists)"):  # nothing was written
            continue
        call, args = match.groups()
        if call in _OPENS:
            if not any(flag in args for flag in _WRITE_FLAGS):
                continue
        elif call not in _WRITES:
            continue
        path = _path(args, cwd)
        if path is not None and not path.startswith(_ALLOWED):
            found.append(line.strip())
    return found


def _path(args: str, cwd: str) -> str | None:
    """The path a call names: absolute, relative to a `-y`-decorated dirfd, or to the cwd."""
    quoted = re.search(r'"((?:[^"\\]|\\.)*)"', args)
    if quoted is None:
        return None
    path = quoted.group(1)
    if path.startswith("/"):
        return path
    dirfd = re.match(r"\d+<([^>]*)>,", args)
    return f"{dirfd.group(1) if dirfd else cwd}/{path}"


def _logged_exceptions(lines: list[str]) -> list[str]:
    """The last line of each exception the handler's powertools logger wrote (JSON lines)."""
    found = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("exception"):
            found.append(f"{record.get('message')}: {record['exception'].strip().splitlines()[-1]}")
    return found


def photo(pixels: tuple[int, int] = CHECK_PIXELS) -> bytes:
    """A real photo (scikit-image's astronaut) at `pixels`, as a JPEG."""
    from PIL import Image as Picture
    from skimage import data

    out = io.BytesIO()
    Picture.fromarray(data.astronaut()).resize(pixels, Picture.Resampling.BICUBIC).save(
        out, "JPEG", quality=90
    )
    return out.getvalue()


class Sandbox:
    """The assembled image run read-only under bubblewrap, against a local stack (moto) built from
    template.yaml. Use as a context manager."""

    def __init__(self, tree: Path = TREE):
        self.image = Image.load()
        self.tree = tree
        self.template = Template(stack_name="bgr-image-check")

    def __enter__(self) -> "Sandbox":
        from bgr_local.runtime import LocalStack

        self.image.assemble(self.tree)
        self.stack = LocalStack(port=0, template=self.template, log_level="WARNING").start()
        return self

    def __exit__(self, *exc) -> None:
        self.stack.stop()

    def first_event(self, tier: str, data: bytes) -> tuple[str, dict]:
        """A charged job of `tier` whose original is uploaded; the router's answer to the S3
        event: the inference function it chose and the SQS event that function gets."""
        import boto3

        from bgr_core.money import credits
        from bgr_core.work import jobs
        from bgr_core.work.output_options import OutputOptions
        from bgr_local.functions import Functions
        from bgr_local.workers import lambda_record, mappings

        user = f"image-check-{tier}-{time.monotonic_ns()}"
        credits.grant(user, 100, admin_id="image-check", reason="image-check")
        job = jobs.create(user, tier, "photo.jpg", options=OutputOptions())
        boto3.client("s3").put_object(Bucket=self.stack.bucket, Key=job.original_key, Body=data)
        by_queue = {m.queue_url: m for m in mappings(self.template)}
        router = next(m for m in by_queue.values() if m.function == "IngestRouterFunction")
        (message,) = self._receive(router.queue_url)
        event = {"Records": [lambda_record(message, router.queue_arn, self.template.region)]}
        with Functions(self.template, {"POWERTOOLS_LOG_LEVEL": "WARNING"}) as functions:
            answer = functions.invoke("IngestRouterFunction", event)
        assert not answer["batchItemFailures"], answer
        for url, mapping in by_queue.items():
            if mapping.function != "IngestRouterFunction" and (messages := self._receive(url, wait=0)):
                records = [lambda_record(m, mapping.queue_arn, self.template.region) for m in messages]
                return mapping.function, {"Records": records}
        raise AssertionError(f"the router sent the {tier} job's event nowhere")

    def job_status(self, tier: str) -> list[tuple[str, str, int]]:
        """(status, model that ran, the pipeline's own ms) of the tier's job."""
        from bgr_core.work import jobs

        found = [j for j in jobs.Job.scan() if j.tier == tier]
        return [(j.status, j.model_name or "", j.processing_time or 0) for j in found]

    @staticmethod
    def _receive(url: str, wait: int = 5) -> list[dict]:
        import boto3

        got = boto3.client("sqs").receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait, MessageSystemAttributeNames=["All"]
        )
        return got.get("Messages", [])

    def environment(self, function: str) -> dict[str, str]:
        """The image's environment, the function's from template.yaml, what Lambda sets, and
        moto as the AWS endpoint."""
        props = self.template.resources[function]["Properties"]
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "HOME": HOME,
            "LAMBDA_TASK_ROOT": self.image.task_root,
            "AWS_LAMBDA_FUNCTION_NAME": self.template.name(function),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props["MemorySize"]),
            "AWS_REGION": self.template.region,
            "AWS_DEFAULT_REGION": self.template.region,
            "AWS_ENDPOINT_URL": self.stack.url,
            "AWS_ACCESS_KEY_ID": "image-check",
            "AWS_SECRET_ACCESS_KEY": "image-check",
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
            "POWERTOOLS_METRICS_DISABLED": "true",
            **self.image.env,
            **self.template.environment(function),
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }

    def command(self, function: str, trace_fd: int) -> list[str]:
        """bwrap over a root of nothing but the host's system directories, read-only, with the
        image's tree where the image has it; strace writes its trace to `trace_fd`."""
        binds = []
        for entry in sorted(Path("/").iterdir()):
            if entry.name in ("tmp", "dev", "proc", "sys", "var", "opt", "home", "work", "run", "mnt"):
                continue
            if entry.is_symlink():
                binds += ["--symlink", os.readlink(entry), str(entry)]
            elif entry.is_dir():
                binds += ["--ro-bind", str(entry), str(entry)]
        task_root, models = self.image.task_root, self.image.models_dir
        memory = str(self.template.resources[function]["Properties"]["MemorySize"])
        command = ["bwrap", "--die-with-parent", "--unshare-pid", "--unshare-ipc", *binds]
        command += ["--ro-bind", str(self.tree / task_root.lstrip("/")), task_root]
        command += ["--ro-bind", str(self.tree / models.lstrip("/")), models]
        command += ["--ro-bind", str(ENTRY), "/opt/image-check/entry.py"]
        command += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", SANDBOX_TMP, "--remount-ro", "/"]
        command += ["--clearenv", "--chdir", task_root]
        for name, value in self.environment(function).items():
            command += ["--setenv", name, value]
        command += ["strace", "-f", "-qq", "-y", "--seccomp-bpf", "-o", f"/dev/fd/{trace_fd}"]
        command += ["-e", "trace=" + ",".join((*_OPENS, *_WRITES))]
        python = os.path.realpath(sys._base_executable)
        name = self.template.name(function)
        command += [python, "-S", "/opt/image-check/entry.py", task_root, self.image.handler, name, memory]
        return command

    def run(self, tier: str, function: str, events: list[dict]) -> Run:
        with tempfile.TemporaryFile("w+") as trace:
            done = subprocess.run(
                self.command(function, trace.fileno()),
                input=json.dumps(events),
                capture_output=True,
                text=True,
                pass_fds=(trace.fileno(),),
            )
            trace.seek(0)
            writes = writes_outside_tmp(trace.read(), self.image.task_root)
        lines = done.stdout.splitlines()
        result = next((json.loads(x[len(RESULT_MARK) :]) for x in lines if x.startswith(RESULT_MARK)), None)
        tail = "\n".join([*_logged_exceptions(lines), *done.stderr.splitlines()[-10:]])
        if result is None:
            return Run(tier, function, float("nan"), [], float("nan"), writes, done.returncode, tail)
        return Run(
            tier,
            function,
            result["init_s"],
            result["invocations"],
            result["peak_rss_mb"],
            writes,
            done.returncode,
            tail,
        )


def problems(run: Run, statuses: list[tuple[str, str, int]]) -> list[str]:
    found = []
    if run.returncode != 0 or not run.invocations:
        found.append(f"the process exited {run.returncode}:\n{run.output_tail}")
    else:
        first = run.invocations[0]
        if first["error"] or (first["response"] or {}).get("batchItemFailures"):
            why = first["error"] or "; ".join(first["record_errors"]) or first["response"]
            found.append(f"the first invocation failed: {why}")
            found.append(f"its output:\n{run.output_tail}")
        if run.init_s > INIT_LIMIT_S:
            found.append(f"Init took {run.init_s:.2f} s (Lambda allows {INIT_LIMIT_S:.0f} s)")
        if run.first_s > FIRST_INVOKE_LIMIT_S:
            found.append(f"the first cutout took {run.first_s:.2f} s (limit {FIRST_INVOKE_LIMIT_S:.0f} s)")
    if [status for status, _, _ in statuses] != ["completed"]:
        found.append(f"the job ended {statuses}, not completed")
    found += [f"wrote outside /tmp: {line}" for line in run.writes[:20]]
    return found


def main() -> int:
    from bgr_core.money.pricing import TIERS

    data = photo()
    failures = 0
    with Sandbox() as sandbox:
        print(f"image tree: {sandbox.tree} (models: {', '.join(sandbox.image.provisioned_models())})")
        print(
            f"{'tier':<13}{'function':<26}{'init s':>8}{'first s':>9}{'cutout s':>10}{'peak MB':>9}"
            "  model / result"
        )
        for tier in TIERS:
            function, event = sandbox.first_event(tier, data)
            run = sandbox.run(tier, function, [event])
            statuses = sandbox.job_status(tier)
            found = problems(run, statuses)
            model, cutout_ms = statuses[0][1:] if statuses else ("", 0)
            print(
                f"{tier:<13}{function:<26}{run.init_s:>8.2f}{run.first_s:>9.2f}{cutout_ms / 1000:>10.2f}"
                f"{run.peak_rss_mb:>9.0f}  {model or '-'} / {'ok' if not found else 'FAILED'}",
                flush=True,
            )
            for problem in found:
                print("    " + problem.replace("\n", "\n    "))
            failures += bool(found)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        "first s: the whole first invocation (model loading, S3 and DynamoDB calls included); "
        f"cutout s: the pipeline's own time; this machine: {os.cpu_count()} cores, load average {load}"
    )
    print(
        f"limits: Init ≤ {INIT_LIMIT_S:.0f} s, first cutout ({CHECK_PIXELS[0]}×{CHECK_PIXELS[1]} JPEG) ≤ "
        f"{FIRST_INVOKE_LIMIT_S:.0f} s, no write outside /tmp"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
