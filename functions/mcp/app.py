"""The MCP server for agents at POST /mcp (streamable HTTP, stateless, JSON), behind the X-Api-Key
authorizer: bgr_core.integrations.mcp_server serves each API Gateway event."""

from aws_lambda_powertools.logging import correlation_paths

from bgr_core.integrations import mcp_server
from bgr_core.platform import observability


@observability.handler(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict, context) -> dict:
    return mcp_server.handle(event, context)
