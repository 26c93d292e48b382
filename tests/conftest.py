"""Test-wide setup: every test runs with the environment template.yaml gives the functions, and
the `aws` fixture creates the template's resources on moto (so tests and template cannot drift)."""

import pytest

from harness import TEMPLATE


@pytest.fixture
def settings_env(monkeypatch):
    """Changes configuration for one test: settings_env(FEATURE_BATCH="false")."""
    from bgr_core.config import get_settings

    def change(**variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield change
    get_settings.cache_clear()


@pytest.fixture
def aws():
    """The template's tables, queues, bucket (with notifications) and state machine on moto; the
    state machine's lambda:invoke tasks run the real handlers (bgr_local.lambdas)."""
    from moto import mock_aws

    from bgr_core.config import get_settings
    from bgr_local.lambdas import bind_to_stepfunctions
    from bgr_local.moto_atomic import serialize_dynamodb_requests
    from bgr_local.stack import Stack

    get_settings.cache_clear()
    with (
        serialize_dynamodb_requests(),
        bind_to_stepfunctions(TEMPLATE),
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
    ):
        yield Stack(TEMPLATE).create()
    get_settings.cache_clear()
