"""The pricing function: routes behind API Gateway (see bgr_core.api)."""

from bgr_core.api.resolver import build, lambda_handler
from bgr_core.api.routes import pricing

app = build(pricing.router)
handler = lambda_handler(app)
