"""Getting an original to inference: the synchronous cutout (`?wait`, remove.bg, MCP), which
inference function a tier goes to, and the S3 notifications that announce an upload."""
