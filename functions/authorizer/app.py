"""The X-Api-Key Lambda authorizer (REQUEST type): an active key's user becomes the principal and
`context.userId`, which handlers read from requestContext.authorizer like Cognito's claims, and
`context.keyMode` (live, or test for a sandbox key).

An unknown or revoked key is denied (API Gateway answers 403, the ACCESS_DENIED gateway response),
except on the MCP endpoint, where the MCP specification wants a 401 for an invalid credential: there
it raises "Unauthorized", which API Gateway answers as a missing header, 401 UNAUTHORIZED. A request
without the header never reaches here (API Gateway answers 401).
"""

from bgr_core.api.paths import MCP
from bgr_core.integrations import api_keys
from bgr_core.platform import observability
from bgr_core.platform.observability import logger


def _policy(principal: str, effect: str, resource: str, context: dict | None = None) -> dict:
    answer = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }
    if context:
        answer["context"] = context
    return answer


@observability.handler
def handler(event: dict, context) -> dict:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    record = api_keys.authenticate(headers.get("x-api-key") or "")
    if record is None:
        logger.info("api key refused")
        if MCP in (event.get("resource"), event.get("path")):
            raise Exception("Unauthorized")  # the exact message API Gateway answers with a 401
        return _policy("anonymous", "Deny", event["methodArn"])
    return _policy(
        record.user_id,
        "Allow",
        event["methodArn"],
        {"userId": record.user_id, "keyId": record.id, "keyMode": "test" if record.test else "live"},
    )
