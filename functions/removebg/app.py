"""The removebg function: remove.bg's API v1.0 behind the X-Api-Key authorizer (see
bgr_core.api.routes.removebg); errors in remove.bg's shape."""

from bgr_core.api.resolver import build, lambda_handler
from bgr_core.api.routes import removebg

app = build(removebg.router)
removebg.register_errors(app)
handler = lambda_handler(app)
