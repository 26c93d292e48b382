"""Every function of template.yaml runs under bgr_core.platform.observability.handler: whatever its event
does, its log lines carry the invocation's context, it is traced, and it flushes its metrics."""

import contextlib
from types import SimpleNamespace

import emf
import pytest

from bgr_core.platform import observability
from bgr_local.functions import local_functions
from harness import TEMPLATE

FUNCTIONS = local_functions(TEMPLATE)
CONTEXT_KEYS = ["cold_start", "function_name", "function_request_id"]


@pytest.fixture
def segments(monkeypatch) -> list[str]:
    """The X-Ray subsegments opened (tracing is disabled in the tests: the provider is replaced)."""
    opened = []

    @contextlib.contextmanager
    def in_subsegment(name: str):
        opened.append(name)
        yield SimpleNamespace(put_annotation=lambda **_: None, put_metadata=lambda **_: None)

    monkeypatch.setattr(observability.tracer.provider, "in_subsegment", in_subsegment)
    return opened


def test_the_template_has_the_functions_this_test_walks():
    assert len(FUNCTIONS) == len(TEMPLATE.of_type("AWS::Serverless::Function")) >= 14


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_a_function_logs_its_context_is_traced_and_flushes_its_metrics(
    aws, logical, segments, monkeypatch, capsys
):
    function = FUNCTIONS[logical]
    entry = function.handler.rsplit(".", 1)[1]
    published = emf.capture(monkeypatch, capsys)
    observability.logger.remove_keys(CONTEXT_KEYS)
    observability.metrics.add_metric(name="Probe", unit="Count", value=1)
    with contextlib.suppress(Exception):  # an event of nothing: whatever the function makes of it
        function.invoke({})
    keys = observability.logger.get_current_keys()
    assert keys["function_name"] == function.name and "cold_start" in keys and keys["function_request_id"]
    assert segments == [f"## {entry}"]
    flushed = [m.name for m in published()]
    assert "Probe" in flushed and set(flushed) <= {"Probe", "ColdStart"}
