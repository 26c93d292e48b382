"""Records end in one place: only bgr_core.work.lifecycle commits a final state, emits its metric
and announces its webhook, and the status sets are spelled out only in bgr_core.work.status."""

import ast
import re

from harness import ROOT

DEPLOYED = [ROOT / "layers" / "core" / "bgr_core", ROOT / "functions"]
LIFECYCLE = ROOT / "layers" / "core" / "bgr_core" / "work" / "lifecycle.py"
STATUS = ROOT / "layers" / "core" / "bgr_core" / "work" / "status.py"
# the commits, the metrics and the announcements of a final state
ENDING_CALLS = {
    "commit_failed_job",
    "commit_completed_item",
    "commit_failed_item",
    "commit_ready",
    "commit_failed",
    "image_finished",
    "batch_finished",
    "job_finished",
}
STATUS_WORD = r'"(?:pending|processing|completed|failed|partial|building|ready)"'
STATUS_SET = re.compile(rf"[(\[{{]\s*{STATUS_WORD}\s*,\s*{STATUS_WORD}")


def sources():
    for folder in DEPLOYED:
        for path in folder.rglob("*.py"):
            if "tests" not in path.parts:
                yield path


def test_only_the_lifecycle_ends_records():
    callers = {
        (path.relative_to(ROOT).as_posix(), node.func.attr)
        for path in sources()
        if path != LIFECYCLE
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ENDING_CALLS
    }
    assert callers == set()


def test_status_sets_are_spelled_out_once():
    spelled = [
        (path.relative_to(ROOT).as_posix(), match.group(0))
        for path in sources()
        if path != STATUS
        for match in STATUS_SET.finditer(path.read_text())
    ]
    assert spelled == []
