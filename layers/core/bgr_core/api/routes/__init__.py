"""One Router per area. Routes read the request through `Request`/`Depends`, never through the
router's own state, so the OpenAPI document can include every router in a resolver of its own."""

BGR = "/api/background-remover"


def all_routers():
    """Every function's routers (imported here, late: the account routes serve the document)."""
    from . import account, apikeys, pricing, removebg, upload

    return (upload.router, pricing.router, account.router, apikeys.router, removebg.router)
