"""Function instances as Lambda runs them: a process each, with its function's environment, one
event at a time, warm between events, never sharing state with another instance."""

import json
import os
import threading

import pytest

from bgr_local.functions import FunctionError, FunctionPool, concurrency
from bgr_local.lambdas import LocalFunction
from harness import TEMPLATE

FUNCTION = LocalFunction(
    logical_id="TestFunction",
    name="test-function",
    arn="arn:aws:lambda:local:123456789012:function:test-function",
    code_uri="tests/integration/local/instance_app",
    handler="app.handler",
    timeout_s=10,
    memory_mb=128,
)


@pytest.fixture
def pool():
    pool = FunctionPool(FUNCTION, {**os.environ, "INSTANCE_TEST": "its own"}, concurrency=2)
    yield pool
    pool.close()


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_an_instance_is_a_warm_process_of_its_own_with_its_function_s_environment(pool):
    first, second = pool.invoke({"tag": "a"}), pool.invoke({"tag": "b"})
    assert first["pid"] == second["pid"] != os.getpid()
    assert second["calls"] == ["a", "b"]  # warm: module state survives between events
    assert first["env"] == "its own" and first["name"] == "test-function"
    assert pool.instances == 1


def test_a_failing_invocation_is_reported_as_lambda_reports_it(pool):
    with pytest.raises(FunctionError) as failed:
        pool.invoke({"raise": "bad input"})
    assert failed.value.payload["errorType"] == "ValueError"
    assert failed.value.payload["errorMessage"] == "bad input"
    assert pool.invoke({"tag": "after"})["calls"] == ["after"]  # the same instance, still serving


def test_an_instance_that_dies_is_replaced(pool):
    pid = pool.invoke({"tag": "a"})["pid"]
    with pytest.raises(FunctionError) as died:
        pool.invoke({"exit": 3})
    assert died.value.payload["errorType"] == "Runtime.ExitError"
    replacement = pool.invoke({"tag": "b"})
    assert replacement["pid"] != pid and replacement["calls"] == ["b"]
    assert _gone(pid)


def test_concurrent_events_scale_out_to_the_concurrency_and_never_share_an_instance(pool):
    start, results = threading.Barrier(8), {}

    def call(tag: str):
        start.wait()
        results[tag] = pool.invoke({"tag": tag})

    threads = [threading.Thread(target=call, args=(f"e{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and pool.instances <= 2
    by_pid: dict[int, list[str]] = {}
    for tag, result in results.items():
        assert tag in result["calls"]
        by_pid.setdefault(result["pid"], []).append(tag)
    for tags in by_pid.values():  # an instance saw only the events it was given
        assert all(set(results[t]["calls"]) <= set(tags) for t in tags)
    pool.close()
    assert pool.instances == 0 and all(_gone(pid) for pid in by_pid)


def test_concurrency_is_one_instance_per_core_capped_by_the_template(monkeypatch):
    monkeypatch.delenv("BGR_LOCAL_CONCURRENCY", raising=False)
    assert concurrency(TEMPLATE, "AccountFunction") == os.cpu_count()
    monkeypatch.setenv("BGR_LOCAL_CONCURRENCY", "50")
    maximum = int(TEMPLATE.parameter("InferenceMaxConcurrency"))
    assert concurrency(TEMPLATE, "MattingInferenceFunction") == min(50, maximum)
    assert concurrency(TEMPLATE, "AccountFunction") == 50


def test_closing_the_pool_ends_an_invocation_in_flight(pool, tmp_path):
    fifo, failures = tmp_path / "started", []
    os.mkfifo(fifo)

    def call():
        try:
            pool.invoke({"block": str(fifo)})
        except FunctionError as err:
            failures.append(err.payload["errorType"])

    caller = threading.Thread(target=call)
    caller.start()
    assert fifo.read_text() == "started"  # the handler is running
    pool.close()
    caller.join()
    assert failures == ["Runtime.ExitError"] and pool.instances == 0


def test_an_event_and_its_result_as_json_pass_through_unparsed(pool):
    """What a Lambda Invoke through moto uses: JSON in, Lambda's JSON result out."""
    answer = pool.invoke_json(b'{"tag": "raw"}')
    assert isinstance(answer, bytes) and json.loads(answer)["calls"] == ["raw"]
    with pytest.raises(FunctionError) as failed:
        pool.invoke_json(b"{not json")
    assert failed.value.payload["errorType"] == "JSONDecodeError"
    with pytest.raises(FunctionError) as failed:
        pool.invoke_json(b'{"raise": "bad input"}')
    assert failed.value.payload["errorMessage"] == "bad input"
