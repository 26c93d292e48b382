"""The payment webhook function: Stripe's signed events behind API Gateway (see bgr_core.api)."""

from bgr_core.api.resolver import build, lambda_handler
from bgr_core.api.routes import payments

app = build(payments.router)
handler = lambda_handler(app)
