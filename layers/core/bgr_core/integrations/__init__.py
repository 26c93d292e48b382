"""Integrations: how other software reaches the service (API keys, remove.bg's API, webhooks,
MCP for agents) and the guarded client the service uses to reach out."""
