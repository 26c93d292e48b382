"""Stripe's API for the adapter's outgoing calls: a local HTTP server (127.0.0.1 only) answering
with Stripe's own fixture objects (bgr_local/stripe_fixtures.json, from stripe/openapi), filled with
what was asked, and recording each request as Stripe would receive it (form-encoded)."""

import json
from typing import ClassVar
from urllib.parse import parse_qsl

from bgr_local import stripe_shapes
from bgr_local.checkout import nested
from http_stub import QuietHandler


class StripeStub(QuietHandler):
    requests: ClassVar[list[dict]] = []  # set per server: [{"path", "auth", "params"}]
    answer_status = 200

    def do_POST(self):
        params = nested(parse_qsl(self.body().decode(), keep_blank_values=True))
        self.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "params": params})
        if self.answer_status != 200:
            error = {"error": {"type": "api_error", "message": "Stripe is having a bad day (sk_test_secret)"}}
            return self._json(self.answer_status, error)
        if self.path == "/v1/checkout/sessions":
            session = stripe_shapes.checkout_session(
                mode=params["mode"],
                metadata=params["metadata"],
                client_reference_id=params["client_reference_id"],
                expires_at=int(params["expires_at"]),
                success_url=params["success_url"],
                cancel_url=params["cancel_url"],
            )
            session["url"] = f"https://checkout.stripe.com/c/pay/{session['id']}"
            return self._json(200, session)
        if self.path.startswith("/v1/subscriptions/"):
            sub_id = self.path.rsplit("/", 1)[1]
            return self._json(200, stripe_shapes.shape("subscription", id=sub_id, cancel_at_period_end=True))
        self._json(404, {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}})

    def _json(self, status: int, body: dict) -> None:
        self.answer(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


def stub_class() -> type[StripeStub]:
    """A handler class of its own (its own request log) for one server."""
    return type("Stub", (StripeStub,), {"requests": [], "answer_status": 200})
