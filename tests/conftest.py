"""Test-wide setup: every test runs with the environment template.yaml gives the functions, and
the `aws` fixture creates the template's resources on moto (so tests and template cannot drift)."""

import io
import os
import threading
from pathlib import Path

import pytest

from harness import TEMPLATE

GRACE_S = 5  # for a thread or process that is already ending


def _children() -> set[int]:
    """This process's live child processes (Linux's /proc; an exited, unreaped one is not live)."""
    pids = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in _read(task / "children").split():
            state = _read(Path(f"/proc/{pid}/stat")).rsplit(")", 1)[-1].split()[:1]
            if state and state != ["Z"]:
                pids.add(int(pid))
    return pids


def _read(path: Path) -> str:
    """A /proc file, or "" when its thread or process has just ended."""
    try:
        return path.read_text()
    except (FileNotFoundError, ProcessLookupError):
        return ""


@pytest.fixture(scope="session", autouse=True)
def process_wide_threads():
    """The threads a warm function instance keeps all its life (the inference pipeline's one
    helper, cutout.background), started once for the session, so the guard below counts them
    as the process's and not as a test's leftovers."""
    from cutout import background

    background.pool.submit(int).result()


@pytest.fixture(autouse=True)
def leaves_nothing_running():
    """No thread (a server's, a worker's, a Step Functions execution's) and no process (a function
    instance, a server) outlives the test that started it."""
    threads, children = set(threading.enumerate()), _children()
    yield
    # cutout's helper thread (cutout.background.pool) lives as long as the process, by design
    left = [t for t in threading.enumerate() if t not in threads and not t.name.startswith("cutout_")]
    for thread in left:
        thread.join(GRACE_S)  # one that is already ending
    assert [t.name for t in left if t.is_alive()] == [], "threads left running"
    assert _children() - children == set(), "processes left running"


@pytest.fixture(scope="session")
def cat():
    """Real photos, scikit-image's: a cat on a sofa, 451×300."""
    from PIL import Image
    from skimage import data

    return Image.fromarray(data.chelsea())


@pytest.fixture(scope="session")
def astronaut():
    """A person in front of a flag and a shuttle, 512×512."""
    from PIL import Image
    from skimage import data

    return Image.fromarray(data.astronaut())


@pytest.fixture(scope="session")
def coffee():
    """A cup on a table, 600×400."""
    from PIL import Image
    from skimage import data

    return Image.fromarray(data.coffee())


@pytest.fixture(scope="session")
def photo_jpeg(astronaut) -> bytes:
    out = io.BytesIO()
    astronaut.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def settings_env(monkeypatch):
    """Changes configuration for one test: settings_env(FEATURE_BATCH="false")."""
    from bgr_core.platform.config import get_settings

    def change(**variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield change
    get_settings.cache_clear()


@pytest.fixture
def aws():
    """The template's tables, queues, bucket (with notifications) and state machine on moto; the
    state machine's lambda:invoke tasks run the real handlers (bgr_local.lambdas). After the test,
    the money invariant: every user's ledger adds up to the balance."""
    from moto import mock_aws

    from bgr_core.platform.config import get_settings
    from bgr_core.platform.models import CreditAccount, LedgerEntry
    from bgr_local.lambdas import bind_to_stepfunctions
    from bgr_local.moto_atomic import serialize_dynamodb_requests
    from bgr_local.stack import Stack
    from money import assert_ledgers_match_balances

    get_settings.cache_clear()
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        serialize_dynamodb_requests(),
        bind_to_stepfunctions(TEMPLATE),  # ends every execution before the mock ends
    ):
        yield Stack(TEMPLATE).create()
        if CreditAccount.exists() and LedgerEntry.exists():  # unless the test deleted one
            assert_ledgers_match_balances()
    get_settings.cache_clear()
