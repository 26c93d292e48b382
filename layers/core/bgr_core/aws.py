"""boto3 clients, one per service per process, made on first use (a client costs ~0.2 s)."""

from functools import cache

import boto3

from .config import get_settings


@cache
def client(service: str):
    return boto3.client(service, region_name=get_settings().region)
