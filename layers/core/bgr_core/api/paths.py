"""Where the API's routes live and how their path ids are bounded."""

from aws_lambda_powertools.event_handler.openapi.params import Path

BGR = "/api/background-remover"
MCP = "/mcp"  # the MCP server for agents (bgr_core.integrations.mcp_server)
# Ids are UUIDs and Cognito subs: a longer one is a 422, not a key DynamoDB refuses (2 KB) with a 500.
MAX_ID_LENGTH = 128


def path_id(alias: str) -> Path:
    return Path(alias=alias, min_length=1, max_length=MAX_ID_LENGTH)
