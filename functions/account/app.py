"""The account function: routes behind API Gateway (see bgr_core.api), and the API's
OpenAPI document with its Swagger UI."""

from bgr_core.api import openapi
from bgr_core.api.resolver import build, lambda_handler
from bgr_core.api.routes import account, apikeys

app = build(account.router, apikeys.router, openapi.router)
handler = lambda_handler(app)
