"""The API's OpenAPI document, built from a resolver holding every function's routers, so the
account function can serve all of it (GET /api/openapi.json, Swagger UI at /api/docs)."""

from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler.openapi import swagger_ui
from aws_lambda_powertools.event_handler.openapi.models import Server
from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

from . import resolver
from .routes import all_routers

TITLE = "Background Remover Pro"
VERSION = "1.0.0"


@cache
def document() -> str:
    app = resolver.build(*all_routers())
    return app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description="AI background removal. Authenticated routes need a Cognito ID token.",
        servers=[Server(url="/")],
    )


@cache
def swagger_html() -> str:
    assets = Path(swagger_ui.__file__).parent
    return generate_swagger_html(
        document().replace("</", "<\\/"),
        (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        "",
        None,
    )
