"""Per-user fixed-window rate limits (429), counted in the rate-limits table.

Each request adds one to the counter of its (user, scope, minute) with a condition that the
counter is below the limit, so concurrent requests can never pass it together. Charging routes
count against a stricter scope as well as the general one.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from pynamodb.exceptions import UpdateError

from bgr_core.api.identity import identity_of
from bgr_core.platform.config import get_settings
from bgr_core.platform.errors import RateLimited
from bgr_core.platform.models import RateLimitWindow

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Window:
    limit: int
    used: int
    resets_at: int  # epoch seconds

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.limit - self.used, 0)),
            "X-RateLimit-Reset": str(self.resets_at),
        }


def clock() -> float:
    """Now, in epoch seconds, for the windows (tests fix it instead of racing the minute)."""
    return time.time()


def take(user_id: str, scope: str, limit: int) -> Window:
    """Counts one request; RateLimited (with Retry-After) once the window's limit is reached."""
    now = clock()
    start = int(now) - int(now) % WINDOW_SECONDS
    resets_at = start + WINDOW_SECONDS
    counter = RateLimitWindow(f"{user_id}#{scope}#{start}")
    try:
        counter.update(
            actions=[
                RateLimitWindow.count.add(1),
                RateLimitWindow.expires_at.set(resets_at + WINDOW_SECONDS),
            ],
            condition=RateLimitWindow.count.does_not_exist() | (RateLimitWindow.count < limit),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        window = Window(limit, limit, resets_at)
        retry_after = max(resets_at - int(now), 1)
        raise RateLimited(
            f"rate limit of {limit} requests a minute reached; retry in {retry_after} s",
            headers={**window.headers(), "Retry-After": str(retry_after)},
        ) from exc
    return Window(limit, int(counter.count), resets_at)


def _limited(scope: str, limit_of: Callable[[], int]):
    def middleware(app: APIGatewayRestResolver, next_middleware) -> Response:
        identity = identity_of(app.current_event.raw_event)
        if identity is None:  # public routes; protected ones answer 401 further in
            return next_middleware(app)
        window = take(identity.user_id, scope, limit_of())
        response = next_middleware(app)
        for name, value in window.headers().items():
            response.headers.setdefault(name, value)  # the stricter, inner scope's headers win
        return response

    middleware.__name__ = f"rate_limit_{scope}"
    return middleware


per_user = _limited("api", lambda: get_settings().rate_limit_per_minute)
charging = _limited("charging", lambda: get_settings().rate_limit_charging_per_minute)
