"""bench.cost's arithmetic: time at a function's vCPU share, and Lambda's price for it."""

import pytest

from bench.cost import cost_per_1000, seconds_at


def test_below_one_vcpu_the_work_slows_in_proportion():
    assert seconds_at(0.5, one=2.0, two=1.2) == pytest.approx(4.0)
    assert seconds_at(1.0, one=2.0, two=1.2) == pytest.approx(2.0)


def test_above_one_vcpu_amdahl_with_the_serial_fraction_the_two_runs_show():
    # 2 cores took 60 % of 1 core: serial fraction 0.2
    assert seconds_at(2.0, one=2.0, two=1.2) == pytest.approx(1.2)
    assert seconds_at(4.0, one=2.0, two=1.2) == pytest.approx(2.0 * (0.2 + 0.8 / 4))
    # no speed-up measured (a busy second core): no speed-up assumed
    assert seconds_at(3.0, one=2.0, two=2.5) == pytest.approx(2.0)


def test_cost_is_gb_seconds_plus_the_request():
    # 1 s at 1,024 MB: one GB-s; 1,000 of them plus 1,000 requests
    assert cost_per_1000(1.0, 1024) == pytest.approx(1000 * 0.0000166667 + 0.0002)
