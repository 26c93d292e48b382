"""The account function: SPEC §6 routes behind API Gateway (see bgr_core.api)."""

from bgr_core.api.resolver import build, lambda_handler
from bgr_core.api.routes import account, apikeys

app = build(account.router, apikeys.router)
handler = lambda_handler(app)
