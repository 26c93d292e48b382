"""The resolver every API function is built from, so that all three behave identically:
the same error mapping, CORS, rate limits, and logs carrying the API Gateway request id."""

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
from aws_lambda_powertools.event_handler.router import Router
from aws_lambda_powertools.logging import correlation_paths

from bgr_core.api import errors, ratelimit
from bgr_core.platform import observability

RATE_LIMIT_HEADERS = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"]


def build(*routers: Router) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(
        enable_validation=True,
        response_validation_error_http_code=500,  # a response off its model is our bug, not the caller's
        cors=CORSConfig(allow_origin="*", expose_headers=[*RATE_LIMIT_HEADERS, "X-Credits-Charged"]),
    )
    errors.register(app)
    app.use(middlewares=[ratelimit.per_user])
    for router in routers:
        app.include_router(router)
    return app


def lambda_handler(app: APIGatewayRestResolver):
    """The function's entry point (bgr_core.platform.observability): every log line carries the API
    Gateway request id."""

    @observability.handler(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    def handler(event: dict, context) -> dict:
        app.append_context(lambda_context=context)  # for ?wait, bounded by the time left
        return app.resolve(event, context)

    return handler
