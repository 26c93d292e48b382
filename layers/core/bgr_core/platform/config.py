"""Configuration, read once from the environment that template.yaml sets."""

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import get_origin

from pydantic import BaseModel, ConfigDict, Field

# Lambda's CPU share: one vCPU for each 1,769 MB of a function's memory.
LAMBDA_MB_PER_VCPU = 1769


class TierModel(BaseModel):
    """What a tier runs: a rembg model name and the refinement after it."""

    model: str
    refinement: str = Field(pattern="^(cleanup|matting|matting\\+decontaminate)$")

    @property
    def matting(self) -> bool:
        """The tier's cutout is matted (and served by the matting function)."""
        return self.refinement.startswith("matting")


DEFAULT_TIER_MODELS = {
    "basic": TierModel(model="u2netp", refinement="cleanup"),
    "standard": TierModel(model="isnet-general-use", refinement="cleanup"),
    "professional": TierModel(model="birefnet-general-lite", refinement="matting"),
    "industry": TierModel(model="birefnet-general", refinement="matting+decontaminate"),
}


class Settings(BaseModel):
    """Each field comes from the environment variable of its name in capitals, or of its alias
    (`from_environment`). pydantic-settings does the same at ~0.2 s of import, paid by every
    function's cold start."""

    model_config = ConfigDict(extra="ignore")

    region: str = Field("ap-southeast-1", validation_alias="AWS_REGION")
    # set by Lambda (and the local runtime) in every function: its memory, which buys its CPU share
    function_memory_mb: int | None = Field(None, validation_alias="AWS_LAMBDA_FUNCTION_MEMORY_SIZE")

    jobs_table: str = "bgr-jobs"
    batches_table: str = "bgr-batches"
    subscriptions_table: str = "bgr-subscriptions"
    usage_table: str = "bgr-usage"
    accounts_table: str = "bgr-credit-accounts"
    ledger_table: str = "bgr-credit-ledger"
    rate_limits_table: str = "bgr-rate-limits"
    idempotency_table: str = "bgr-idempotency"
    api_keys_table: str = "bgr-api-keys"
    webhook_secrets_table: str = "bgr-webhook-secrets"
    payment_events_table: str = "bgr-payment-events"
    payments_table: str = "bgr-payments"

    bucket_name: str = "bgr-images"
    ingest_queue_url: str = ""
    # the inference functions' queues: the router sends each created original to one of them
    light_queue_url: str = ""
    matting_queue_url: str = ""
    zip_state_machine_arn: str = ""
    webhook_queue_url: str = ""

    # Functions an in-request image is run by, invoked directly (RequestResponse), per tier class:
    # light tiers (mask clean-up) and matting tiers may be different functions.
    inference_function_light: str = ""
    inference_function_matting: str = ""

    # Tier -> model and refinement is configuration; a tier whose model file is not
    # provisioned runs the fallback, and the job records what really ran.
    tier_models: dict[str, TierModel] = DEFAULT_TIER_MODELS
    fallback_model: str = "u2netp"
    models_dir: Path = Field(Path.home() / ".u2net", validation_alias="U2NET_HOME")

    # Feature flags are explicit: template.yaml sets each one; health lists them.
    feature_batch: bool = True
    feature_subscriptions: bool = True
    feature_integrations: bool = True
    feature_drop_folder: bool = True

    quota_timezone: str = "Asia/Jakarta"

    # Payments (bgr_core.money): the names of the SSM SecureString parameters holding Stripe's
    # secret key and the webhook signing secret (template parameters); unset, payments are off.
    stripe_secret_key_parameter: str = ""
    stripe_webhook_secret_parameter: str = ""
    stripe_api_base: str = ""  # empty: Stripe's own; the local runtime's stand-in locally
    # where a checkout sends the payer back (the web app's Account page)
    checkout_return_url: str = "http://127.0.0.1:3000/#/account"

    rate_limit_per_minute: int = 120
    rate_limit_charging_per_minute: int = 30
    # Images one user may have charged and not yet ended (singles and batch items; template
    # parameter MaxImagesInFlight): one account cannot hold the shared inference for everyone.
    max_images_in_flight: int = Field(1000, gt=0)

    # A presigned upload form's life (template parameter UploadExpirySeconds); an original not
    # there by then plus the grace (an upload begun in time may end after it) is refunded.
    upload_url_ttl_seconds: int = Field(900, gt=0)
    upload_grace_seconds: int = Field(120, ge=0)
    download_url_ttl_seconds: int = 3600

    # Networks user-given URLs may reach although not public (integrations.guarded_http; template parameter
    # OutboundAllowNetworks, empty unless an operator names one).
    outbound_allow_networks: list[str] = []
    # Ports besides 80 and 443 they may reach: numbers or ranges ("8080", "1024-65535"; template
    # parameter OutboundAllowPorts, empty unless an operator names one).
    outbound_allow_ports: list[int | str] = []

    # Public routes verify a bearer token themselves (bgr_core.api.id_tokens): the user pool's
    # issuer, app client and key set.
    id_token_issuer: str = ""
    id_token_audience: str = ""
    id_token_jwks_url: str = ""

    # Webhooks (integrations.webhooks): https only unless allowed (template parameter WebhookAllowHttp);
    # a failed delivery comes back after base, 2 x base, 4 x base ... seconds, at most max_attempts.
    webhook_allow_http: bool = False
    webhook_retry_base_seconds: int = 10
    webhook_max_attempts: int = 8

    def model_file(self, name: str) -> Path | None:
        """Where a model's weights are, in either place rembg keeps them; None when not provisioned."""
        for path in (self.models_dir / f"{name}.onnx", self.models_dir / "models" / name / f"{name}.onnx"):
            if path.is_file():
                return path
        return None

    @property
    def flags(self) -> dict[str, bool]:
        return {
            "batch": self.feature_batch,
            "subscriptions": self.feature_subscriptions,
            "integrations": self.feature_integrations,
            "dropFolder": self.feature_drop_folder,
            "payments": bool(self.stripe_secret_key_parameter and self.stripe_webhook_secret_parameter),
        }

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Names matched regardless of case; lists and maps given as JSON."""
        upper = {name.upper(): value for name, value in environ.items()}
        values = {}
        for name, field in cls.model_fields.items():
            key = field.validation_alias if isinstance(field.validation_alias, str) else name
            if key.upper() in upper:
                raw = upper[key.upper()]
                values[key] = json.loads(raw) if get_origin(field.annotation) in (dict, list) else raw
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environment()
