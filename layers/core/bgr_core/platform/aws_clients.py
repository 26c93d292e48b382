"""boto3 clients, one per service per process, made on first use (a client costs ~0.2 s)."""

from functools import cache

from bgr_core.platform.config import get_settings


@cache
def client(service: str):
    import boto3  # here: a module that only names storage's constants loads no SDK (~0.2 s)

    return boto3.client(service, region_name=get_settings().region)
