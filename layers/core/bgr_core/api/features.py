"""Feature flags on routes: a switched-off feature answers 503 FEATURE_DISABLED before its route
runs, so it writes nothing."""

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from bgr_core.platform import features


def required(flag: str):
    """A route middleware refusing the request while `flag` (bgr_core.platform.features) is off."""

    def middleware(app: APIGatewayRestResolver, next_middleware) -> Response:
        features.require(flag)
        return next_middleware(app)

    middleware.__name__ = f"feature_{flag}"
    return middleware
