"""The web app's types are openapi-typescript's rendering of the API's document (web/node_modules,
pinned by web/package-lock.json): this fails when web/src/api-schema.ts drifts from it."""

from scripts import api_shapes


def test_the_web_apps_types_are_generated_from_the_document():
    assert api_shapes.OPENAPI_TYPESCRIPT.exists(), "run `npm ci` in web/ (make setup does)"
    rendered = api_shapes.web_schema(api_shapes.DOCUMENT)
    assert api_shapes.WEB_SCHEMA.read_text() == rendered, "run `make api-shapes`"
