"""Every function of template.yaml as a local in-process instance: zip functions as
`bgr_local.lambdas` loads them, image functions from their Dockerfile (the code directory it
copies and its CMD); and the binding through which a Lambda Invoke of one of them (boto3, via
moto) runs its real handler."""

import json
import logging
import re
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from moto.awslambda.models import LambdaBackend
from moto.awslambda_simple.models import LambdaSimpleBackend

from .lambdas import LocalFunction, functions
from .template import ROOT, Template

logger = logging.getLogger(__name__)


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
    """One warm instance per function, taking one event at a time as a Lambda instance does
    (the handlers keep per-invocation state in module globals: resolvers, batch processors)."""

    def __init__(self, template: Template):
        by_logical = {f.logical_id: f for f in functions(template).values()}
        for logical, resource in template.of_type("AWS::Serverless::Function").items():
            if resource["Properties"].get("PackageType") == "Image":
                by_logical[logical] = _image_function(template, logical)
        self.by_logical = by_logical
        self._locks = {logical: threading.Lock() for logical in by_logical}

    def invoke(self, logical: str, event: dict):
        with self._locks[logical]:
            return self.by_logical[logical].invoke(event)

    def by_name(self, name_or_arn: str) -> str | None:
        """The logical id of the function a FunctionName (name or ARN) names; None if none."""
        name = name_or_arn.split(":function:", 1)[-1].split(":", 1)[0]
        return next((f.logical_id for f in self.by_logical.values() if f.name == name), None)


@contextmanager
def bind_to_lambda(functions: Functions) -> Iterator[None]:
    """While active, a Lambda Invoke (RequestResponse) of a template function runs its handler
    here and answers as Lambda does: the JSON result, or FunctionError with errorType and
    errorMessage. moto without Docker runs no function code; other functions go to moto."""
    originals = {cls: cls.invoke for cls in (LambdaBackend, LambdaSimpleBackend)}

    def binding(cls):
        def invoke(backend, function_name, qualifier, body, headers, response_headers):
            logical = functions.by_name(function_name)
            if logical is None:
                return originals[cls](backend, function_name, qualifier, body, headers, response_headers)
            try:
                result = functions.invoke(logical, json.loads(body or b"{}"))
                return json.dumps(result).encode()
            except Exception as exc:
                logger.exception("%s failed", logical)
                response_headers["x-amz-function-error"] = "Unhandled"
                error = {
                    "errorType": type(exc).__name__,
                    "errorMessage": str(exc),
                    "stackTrace": traceback.format_tb(exc.__traceback__),
                }
                return json.dumps(error).encode()

        return invoke

    with (
        mock.patch.object(LambdaBackend, "invoke", binding(LambdaBackend)),
        mock.patch.object(LambdaSimpleBackend, "invoke", binding(LambdaSimpleBackend)),
    ):
        yield
