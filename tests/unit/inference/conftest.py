"""Settings read afresh for each test (the models directory is harness's U2NET_HOME)."""

import pytest


@pytest.fixture(autouse=True)
def fresh_settings():
    from bgr_core.platform.config import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
