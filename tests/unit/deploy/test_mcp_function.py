"""The MCP function carries its own packages (functions/mcp/requirements.txt); those the core layer
has too must be pinned to the layer's versions, since the function's copies shadow the layer's."""

import re

from harness import ROOT


def pins(path: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / path).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s#]+)", line)
        if match:
            found[match.group(1).lower()] = match.group(3)
    return found


def test_what_the_function_shares_with_the_layer_is_at_the_layers_version():
    layer, function = pins("layers/core/requirements.txt"), pins("functions/mcp/requirements.txt")
    shared = set(layer) & set(function)
    assert shared >= {"pydantic", "pyjwt"}  # pydantic-settings: the mcp SDK's own (the layer has none)
    assert {name: function[name] for name in shared} == {name: layer[name] for name in shared}
    assert {"mcp", "mangum"} <= set(function) and not {"mcp", "mangum"} & set(layer)
