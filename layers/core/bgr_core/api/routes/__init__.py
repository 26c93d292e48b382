"""One Router per area. Routes read the request through `Request`/`Depends`, never through the
router's own state, so the OpenAPI document (bgr_core.api.openapi) can include every router in a
resolver of its own."""
