"""The model's intra-op threads: every CPU the process may use, but on Lambda only the whole vCPUs
its memory buys (1,769 MB each)."""

import os

import pytest

from cutout import segment

CPUS = len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("memory", "threads"),
    [(None, CPUS), ("1024", 1), ("2048", 1), ("3538", min(CPUS, 2)), ("5307", min(CPUS, 3))],
)
def test_threads_follow_the_function_s_vcpu_share(monkeypatch, memory, threads):
    if memory is None:
        monkeypatch.delenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", raising=False)
    else:
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory)
    assert segment._threads() == threads
