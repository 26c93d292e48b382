"""Feature flags: explicit switches template.yaml sets per stack (FEATURE_* environment), read
here under the names health reports (batch, subscriptions, integrations, dropFolder)."""

from bgr_core.platform.config import get_settings
from bgr_core.platform.errors import FeatureDisabled


def enabled(flag: str) -> bool:
    return get_settings().flags[flag]


def require(flag: str) -> None:
    """FeatureDisabled (503) while `flag` is off: checked before anything is written."""
    if not enabled(flag):
        raise FeatureDisabled(f"the {flag} feature is switched off", feature=flag)
