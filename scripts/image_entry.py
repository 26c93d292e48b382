"""What Lambda's runtime does in the image, inside `make image-check`'s sandbox: import the handler
from the task root (Init), then invoke it with each event read from stdin (a JSON list). The
last line of stdout is what it measured, as JSON after RESULT_MARK.

Runs with `python -S` (no site-packages but the task root's) and no file of the repository.

    python -S image_entry.py TASK_ROOT MODULE.FUNCTION FUNCTION_NAME MEMORY_MB < events.json
"""

import importlib
import json
import os
import site
import sys
import time
import uuid
from pathlib import Path

RESULT_MARK = "IMAGE-CHECK-RESULT "


class Context:
    """The Lambda context's fields the handlers read."""

    def __init__(self, name: str, memory_mb: int, timeout_s: float = 120.0):
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:{os.environ['AWS_REGION']}:123456789012:function:{name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "image-check"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _process_age_s() -> float:
    """Seconds since this process started (Lambda's Init starts with the runtime process)."""
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return time.clock_gettime(time.CLOCK_BOOTTIME) - started


def _peak_rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def _record_errors(handler_module) -> list[str]:
    """Why the records a powertools batch handler reported as failed failed (its processor keeps
    the exceptions of the last batch; they are not logged)."""
    processor = getattr(handler_module, "processor", None)
    return [f"{info[0].__name__}: {info[1]}" for info in getattr(processor, "exceptions", []) if info[0]]


def main(task_root: str, handler: str, name: str, memory_mb: str) -> None:
    events = json.load(sys.stdin)
    site.addsitedir(task_root)
    os.chdir(task_root)
    module, function = handler.rsplit(".", 1)
    entry = getattr(importlib.import_module(module), function)
    measured = {"init_s": _process_age_s(), "invocations": []}
    for event in events:
        started = time.perf_counter()
        try:
            response, error = entry(event, Context(name, int(memory_mb))), None
        except Exception as exc:  # the runtime reports it as the invocation's error
            response, error = None, f"{type(exc).__name__}: {exc}"
        measured["invocations"].append(
            {
                "seconds": time.perf_counter() - started,
                "response": response,
                "error": error,
                "record_errors": _record_errors(sys.modules[module]),
            }
        )
    measured["peak_rss_mb"] = _peak_rss_mb()
    sys.stdout.flush()
    print(RESULT_MARK + json.dumps(measured), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
