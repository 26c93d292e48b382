"""Every function of template.yaml as a local in-process instance: zip functions as
`bgr_local.lambdas` loads them, image functions from their Dockerfile (the code directory it
copies and its CMD)."""

import re
import threading
from pathlib import Path

from .lambdas import LocalFunction, functions
from .template import ROOT, Template


def _image_function(template: Template, logical: str) -> LocalFunction:
    resource = template.resources[logical]
    dockerfile = Path(resource["Metadata"]["Dockerfile"])
    cmd = re.search(r'^CMD\s*\[\s*"([^"]+)"', (ROOT / dockerfile).read_text(), re.MULTILINE)
    if cmd is None:
        raise ValueError(f'{dockerfile} has no CMD ["module.function"]')
    globals_ = template.body.get("Globals", {}).get("Function", {})
    props = resource["Properties"]
    return LocalFunction(
        logical_id=logical,
        name=template.name(logical),
        arn=template.arn(logical),
        code_uri=str(dockerfile.parent),
        handler=cmd.group(1),
        timeout_s=float(props.get("Timeout", globals_.get("Timeout", 3))),
        memory_mb=int(props.get("MemorySize", globals_.get("MemorySize", 128))),
    )


class Functions:
    """One warm instance per handler module, taking one event at a time as a Lambda instance does
    (the handlers keep per-invocation state in module globals: resolvers, batch processors).
    Functions deployed from one code (the two inference functions of one image) share the
    module here, so they share its lock."""

    def __init__(self, template: Template):
        by_logical = {f.logical_id: f for f in functions(template).values()}
        for logical, resource in template.of_type("AWS::Serverless::Function").items():
            if resource["Properties"].get("PackageType") == "Image":
                by_logical[logical] = _image_function(template, logical)
        self.by_logical = by_logical
        modules = {(f.code_uri, f.handler) for f in by_logical.values()}
        locks = {module: threading.Lock() for module in modules}
        self._locks = {logical: locks[(f.code_uri, f.handler)] for logical, f in by_logical.items()}

    def invoke(self, logical: str, event: dict):
        with self._locks[logical]:
            return self.by_logical[logical].invoke(event)
