"""API keys for X-Api-Key callers: create (the key shown once), list, revoke (the account function)."""

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import Router
from pydantic import Field

from bgr_core.api.identity import User
from bgr_core.api.paths import path_id
from bgr_core.api.responses import errors
from bgr_core.api.views import Schema, respond
from bgr_core.integrations import api_keys
from bgr_core.platform.models import ApiKey

router = Router()
KEYS = "/api/keys"


class CreateKeyRequest(Schema):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    expires_in: Annotated[
        int | None, Field(ge=1, le=3650, description="days until it expires; none: never")
    ] = None
    test: bool = Field(
        False, description="a sandbox key (bgr_test_...): preview size, free, watermarked, jobs test: true"
    )


class KeyView(Schema):
    id: str
    name: str
    prefix: str = Field(description="the key's first characters")
    test: bool = Field(description="a sandbox key")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None = Field(description="when it stops working; null: never")

    @classmethod
    def of(cls, record: ApiKey) -> "KeyView":
        return cls.model_validate(record, from_attributes=True)


class CreatedKey(Schema):
    api_key: KeyView
    key: str = Field(description="send it as X-Api-Key; shown this once, never again")


class KeyList(Schema):
    api_keys: list[KeyView]


@router.post(
    KEYS,
    summary="Create an API key (shown once)",
    status_code=201,
    responses=errors(409),  # at the limit of active keys
)
def create_key(request: Annotated[CreateKeyRequest, Body()], user: User) -> Response[CreatedKey]:
    record, key = api_keys.create(
        user.user_id, request.name, expires_in_days=request.expires_in, test=request.test
    )
    return respond(CreatedKey(api_key=KeyView.of(record), key=key), 201)


@router.get(
    KEYS, summary="The caller's API keys not revoked (expired ones too, with expiresAt), newest first"
)
def list_keys(user: User) -> KeyList:
    return KeyList(api_keys=[KeyView.of(k) for k in api_keys.list_for_user(user.user_id)])


@router.delete(
    f"{KEYS}/<keyId>",
    summary="Revoke an API key",
    status_code=204,
    responses={204: {"description": "revoked (or already gone)"}},
)
def revoke_key(key_id: Annotated[str, path_id("keyId")], user: User):
    api_keys.revoke(user.user_id, key_id)
    return Response(status_code=204)
