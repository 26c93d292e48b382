"""The local checkout: what stands in for Stripe when everything runs on one machine.

It answers the two Stripe API calls the payments adapter makes (create a Checkout Session, set a
subscription to cancel at period end) as Stripe does, so the deployed adapter runs unchanged
against it (STRIPE_API_BASE), and serves each session's checkout page. "Paying" there delivers
the events Stripe would send (checkout.session.completed, and invoice.paid for a plan), in
Stripe's own shapes (bgr_local.stripe_shapes) and signed with Stripe's scheme and the webhook
secret the stack reads from SSM, to the webhook route of the local API: the webhook function that
runs here is the deployed one. No money moves.
"""

import html
import json
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import requests

from . import stripe_shapes

logger = logging.getLogger(__name__)

SECRET_KEY_PARAMETER = "/bgr-local/stripe/secret-key"
WEBHOOK_SECRET_PARAMETER = "/bgr-local/stripe/webhook-secret"
PARAMETERS = {
    "StripeSecretKeyParameter": SECRET_KEY_PARAMETER,
    "StripeWebhookSecretParameter": WEBHOOK_SECRET_PARAMETER,
}
WEBHOOK_PATH = "/api/payments/stripe/webhook"
PERIOD_S = 30 * 86400


def nested(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (`line_items[0][price_data][currency]=idr`) as nested dicts."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return root


def rupiah(minor: int) -> str:
    return "Rp " + f"{minor // 100:,}".replace(",", ".")


@dataclass
class _Session:
    body: dict  # the checkout.session object
    name: str  # what is bought
    subscription_metadata: dict = field(default_factory=dict)
    payment_metadata: dict = field(default_factory=dict)


class LocalCheckout(ThreadingHTTPServer):
    """Stripe's API (the calls the adapter makes) and its hosted checkout pages, on one port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__((host, port), _Handler)
        self.secret_key = "sk_test_local_" + secrets.token_hex(16)
        self.webhook_secret = "whsec_local_" + secrets.token_hex(16)
        self.webhook_url = ""  # the local API's webhook route, once the API listens
        self.sessions: dict[str, _Session] = {}
        self.subscriptions: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, name="local-checkout", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def store_secrets(self, region: str) -> None:
        """The secrets, where the stack reads them: SSM SecureString parameters (on moto)."""
        import boto3

        ssm = boto3.client("ssm", region_name=region)
        for name, value in (
            (SECRET_KEY_PARAMETER, self.secret_key),
            (WEBHOOK_SECRET_PARAMETER, self.webhook_secret),
        ):
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)

    def start(self) -> "LocalCheckout":
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self.shutdown()
            self._thread.join()
        self.server_close()

    # -- Stripe's API ------------------------------------------------------------------------
    def create_session(self, params: dict) -> dict:
        item = params["line_items"]["0"]
        price = item["price_data"]
        amount = int(price["unit_amount"]) * int(item.get("quantity", 1))
        session = stripe_shapes.checkout_session(
            mode=params["mode"],
            metadata=params.get("metadata", {}),
            client_reference_id=params.get("client_reference_id"),
            success_url=params["success_url"],
            cancel_url=params["cancel_url"],
            expires_at=int(params["expires_at"]),
            created=int(time.time()),
            amount_total=amount,
            currency=price["currency"],
            payment_intent=None,
        )
        session["url"] = f"{self.url}/checkout/{session['id']}"
        with self._lock:
            self.sessions[session["id"]] = _Session(
                session,
                price["product_data"]["name"],
                params.get("subscription_data", {}).get("metadata", {}),
                params.get("payment_intent_data", {}).get("metadata", {}),
            )
        return session

    def update_subscription(self, subscription_id: str, params: dict) -> dict | None:
        with self._lock:
            sub = self.subscriptions.get(subscription_id)
            if sub is None:
                return None
            if "cancel_at_period_end" in params:
                sub["cancel_at_period_end"] = params["cancel_at_period_end"] == "true"
                sub["cancel_at"] = (
                    sub["items"]["data"][0]["current_period_end"] if sub["cancel_at_period_end"] else None
                )
                sub["canceled_at"] = int(time.time()) if sub["cancel_at_period_end"] else None
            comment = params.get("cancellation_details", {}).get("comment")
            if comment is not None:
                sub["cancellation_details"]["comment"] = comment
            sub = json.loads(json.dumps(sub))
        self.deliver(stripe_shapes.event("customer.subscription.updated", sub))
        return sub

    # -- paying ------------------------------------------------------------------------------
    def pay(self, session_id: str) -> str:
        """Completes the session as Stripe does once paid, delivers its events, and returns where
        the payer goes next (the session's success_url)."""
        with self._lock:
            entry = self.sessions[session_id]
            session = entry.body
            if session["status"] != "open":
                raise ValueError("this checkout is no longer open")
            now = int(time.time())
            customer = stripe_shapes.new_id("cus")
            session.update(status="complete", payment_status="paid", customer=customer)
            events = []
            if session["mode"] == "subscription":
                sub = stripe_shapes.subscription(
                    period_end=now + PERIOD_S,
                    metadata=entry.subscription_metadata,
                    customer=customer,
                    currency="idr",
                )
                paid = stripe_shapes.invoice(
                    subscription_id=sub["id"],
                    metadata=entry.subscription_metadata,
                    period_start=now,
                    period_end=now + PERIOD_S,
                    amount=session["amount_total"],
                    customer=customer,
                )
                sub["latest_invoice"] = paid["id"]
                session.update(subscription=sub["id"], invoice=paid["id"])
                self.subscriptions[sub["id"]] = sub
                events = [
                    stripe_shapes.event("checkout.session.completed", dict(session)),
                    stripe_shapes.event("invoice.paid", paid),
                ]
            else:
                session["payment_intent"] = stripe_shapes.new_id("pi")
                events = [stripe_shapes.event("checkout.session.completed", dict(session))]
        for event in events:
            self.deliver(event)
        return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)

    def deliver(self, event: dict) -> None:
        """POSTs the event, signed, to the webhook (as Stripe does; it retries a failure later,
        which this stand-in leaves to the person paying)."""
        payload = json.dumps(event).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": stripe_shapes.signature(payload, self.webhook_secret),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        answer = requests.post(self.webhook_url, data=payload, headers=headers, timeout=60)
        logger.info("delivered %s %s: %s", event["type"], event["id"], answer.status_code)
        if answer.status_code >= 300:
            raise RuntimeError(
                f"the webhook answered {answer.status_code} to {event['type']}: {answer.text[:300]}"
            )

    def page(self, session_id: str) -> str:
        entry = self.sessions[session_id]
        session = entry.body
        what = html.escape(entry.name)
        every = " a month" if session["mode"] == "subscription" else ""
        price = rupiah(session["amount_total"]) + every
        if session["status"] != "open":
            body = "<p>This checkout is no longer open.</p>"
        else:
            body = (
                f'<form method="post" action="/checkout/{session_id}/pay">'
                f'<button type="submit">Pay {html.escape(price)}</button></form>'
                f'<p><a href="{html.escape(session["cancel_url"])}">Cancel and go back</a></p>'
            )
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local checkout</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            '<body style="font-family: system-ui; max-width: 32rem; margin: 3rem auto">'
            f"<h1>Local checkout</h1><p>{what}: <strong>{html.escape(price)}</strong></p>"
            "<p>A stand-in for Stripe's checkout on this machine: paying here moves no money and sends "
            "the events Stripe would, signed, to the service's webhook.</p>"
            f"{body}</body></html>"
        )


class _Handler(BaseHTTPRequestHandler):
    server: LocalCheckout

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, body: dict) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _stripe_error(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        self._json(status, {"error": {"type": kind, "message": message}})

    def _params(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        return nested(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))

    def do_GET(self):
        match = re.fullmatch(r"/checkout/(cs_\w+)", self.path)
        if match is None or match.group(1) not in self.server.sessions:
            return self._send(404, b"no such checkout", "text/plain")
        self._send(200, self.server.page(match.group(1)).encode(), "text/html; charset=utf-8")

    def do_POST(self):
        if self.path.startswith("/v1/"):
            return self._api()
        match = re.fullmatch(r"/checkout/(cs_\w+)/pay", self.path)
        if match is None or match.group(1) not in self.server.sessions:
            return self._send(404, b"no such checkout", "text/plain")
        try:
            after = self.server.pay(match.group(1))
        except (ValueError, RuntimeError, requests.RequestException) as exc:
            return self._send(502, f"the payment could not be completed: {exc}".encode(), "text/plain")
        self._send(303, b"", "text/plain", {"Location": after})

    def _api(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {self.server.secret_key}":
            return self._stripe_error(401, "Invalid API Key provided", "invalid_request_error")
        params = self._params()
        if self.path == "/v1/checkout/sessions":
            return self._json(200, self.server.create_session(params))
        match = re.fullmatch(r"/v1/subscriptions/(sub_\w+)", self.path)
        if match:
            updated = self.server.update_subscription(match.group(1), params)
            if updated is not None:
                return self._json(200, updated)
        self._stripe_error(404, f"No such resource: {self.path}")

    def log_message(self, format, *args):
        logger.info("%s %s", self.address_string(), format % args)
