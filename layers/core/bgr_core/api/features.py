"""Feature flags on routes (SPEC §7): a switched-off feature answers 503 FEATURE_DISABLED before
its route runs, so it writes nothing."""

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ..config import get_settings
from ..errors import FeatureDisabled


def required(flag: str):
    """A route middleware refusing the request while `flag` (a key of Settings.flags) is off."""

    def middleware(app: APIGatewayRestResolver, next_middleware) -> Response:
        if not get_settings().flags[flag]:
            raise FeatureDisabled(f"the {flag} feature is switched off", feature=flag)
        return next_middleware(app)

    middleware.__name__ = f"feature_{flag}"
    return middleware
