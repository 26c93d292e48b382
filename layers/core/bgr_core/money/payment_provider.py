"""The payment provider this stack is configured with: Stripe's adapter (money.stripe_payments) of
the payments port (money.payments), given its secrets.

The secrets live in SSM SecureString parameters named by template.yaml; without them every payment
route answers 503 FEATURE_DISABLED and /health lists `payments: false`.
"""

from functools import lru_cache

from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import BotoCoreError, ClientError

from bgr_core.money.payments import PaymentProvider
from bgr_core.platform.config import get_settings
from bgr_core.platform.errors import FeatureDisabled
from bgr_core.platform.features import require

SECRETS_MAX_AGE_S = 300  # a rotated secret is picked up within five minutes


def _secret(name: str) -> str:
    try:
        return parameters.get_parameter(name, decrypt=True, max_age=SECRETS_MAX_AGE_S)
    except (parameters.exceptions.GetParameterError, ClientError, BotoCoreError) as exc:
        # the parameter is named but missing or unreadable: an operator's setup, said without names
        raise FeatureDisabled("payments are not configured on this service", feature="payments") from exc


@lru_cache(maxsize=4)
def _stripe(secret_key: str, webhook_secret: str, api_base: str) -> PaymentProvider:
    from bgr_core.money.stripe_payments import StripePayments  # the SDK is imported only where payments run

    return StripePayments(secret_key, webhook_secret, api_base or None)


def provider() -> PaymentProvider:
    """The configured provider; FeatureDisabled (503) when payments are switched off."""
    require("payments")
    s = get_settings()
    return _stripe(
        _secret(s.stripe_secret_key_parameter), _secret(s.stripe_webhook_secret_parameter), s.stripe_api_base
    )
