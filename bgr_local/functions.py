"""Every function of template.yaml run as Lambda runs it: a pool of isolated instances per
function (`bgr_local.instance`: a process each, one event at a time), started on demand up to
the function's concurrency and kept warm until `close()`. This is the one place where the local
runtime runs a function: the API, the queue workers, the batch workflow and `make invoke` all
come through `Functions.invoke`.

Zip functions are loaded as `bgr_local.lambdas` describes them; image functions from their
Dockerfile (the code directory it copies and its CMD).
"""

import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from .instance import FunctionError, Instance
from .lambdas import LocalFunction, error_payload, functions
from .template import ROOT, Template

__all__ = ["FunctionError", "Functions", "bind_to_lambda"]

logger = logging.getLogger(__name__)

# Concurrent instances per function (default: one per core); the template's
# ReservedConcurrentExecutions and SQS ScalingConfig.MaximumConcurrency cap it further.
CONCURRENCY_ENV = "BGR_LOCAL_CONCURRENCY"


def _image_function(template: Template, logical: str) -> LocalFunction:
    resource = template.resources[logical]
    dockerfile = Path(resource["Metadata"]["Dockerfile"])
    cmd = re.search(r'^CMD\s*\[\s*"([^"]+)"', (ROOT / dockerfile).read_text(), re.MULTILINE)
    if cmd is None:
        raise ValueError(f'{dockerfile} has no CMD ["module.function"]')
    globals_ = template.body.get("Globals", {}).get("Function", {})
    props = resource["Properties"]
    return LocalFunction(
        logical_id=str(logical),
        name=template.name(logical),
        arn=template.arn(logical),
        code_uri=str(dockerfile.parent),
        handler=cmd.group(1),
        timeout_s=float(props.get("Timeout", globals_.get("Timeout", 3))),
        memory_mb=int(props.get("MemorySize", globals_.get("MemorySize", 128))),
    )


def local_functions(template: Template) -> dict[str, LocalFunction]:
    """Every function of the template by logical id, image functions included."""
    by_logical = {f.logical_id: f for f in functions(template).values()}
    for logical, resource in template.of_type("AWS::Serverless::Function").items():
        if resource["Properties"].get("PackageType") == "Image":
            by_logical[logical] = _image_function(template, logical)
    return by_logical


def concurrency(template: Template, logical: str) -> int:
    """How many instances of `logical` may run at once locally."""
    props = template.resources[logical]["Properties"]
    limits = [int(os.environ.get(CONCURRENCY_ENV) or os.cpu_count() or 1)]
    if "ReservedConcurrentExecutions" in props:
        limits.append(int(template.resolve(props["ReservedConcurrentExecutions"])))
    for event in props.get("Events", {}).values():
        scaling = event["Properties"].get("ScalingConfig", {}) if event["Type"] == "SQS" else {}
        if "MaximumConcurrency" in scaling:
            limits.append(int(template.resolve(scaling["MaximumConcurrency"])))
    return max(1, min(limits))


class FunctionPool:
    """One function's instances: an idle one takes the event, else a new one starts while fewer
    than `concurrency` exist, else the event waits for one to be free (no throttling)."""

    def __init__(self, function: LocalFunction, environment: dict[str, str], concurrency: int):
        self.function, self.environment, self.concurrency = function, environment, concurrency
        self._idle: list[Instance] = []
        self._live: set[Instance] = set()
        self._starting = 0
        self._closed = False
        self._changed = threading.Condition()

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise FunctionError(
                {"errorType": "Runtime.Closed", "errorMessage": "the runtime is stopping", "stackTrace": []}
            )

    def _acquire(self) -> Instance:
        with self._changed:
            while not self._idle and self.instances >= self.concurrency and not self._closed:
                self._changed.wait()
            self._refuse_if_closed()
            if self._idle:
                return self._idle.pop()
            self._starting += 1
        instance = None
        try:
            instance = Instance(self.function, self.environment)
        finally:
            with self._changed:
                self._starting -= 1
                if instance is not None and not self._closed:
                    self._live.add(instance)
                self._changed.notify()
        if instance not in self._live:
            instance.close()
            self._refuse_if_closed()
        return instance

    def _release(self, instance: Instance) -> None:
        with self._changed:
            keep = instance.alive and not self._closed
            if keep:
                self._idle.append(instance)
            else:
                self._live.discard(instance)
            self._changed.notify()
        if not keep:
            instance.close()

    def invoke(self, event):
        return json.loads(self.invoke_json(json.dumps(event).encode()))

    def invoke_json(self, payload: bytes) -> bytes:
        instance = self._acquire()
        try:
            return instance.invoke_json(payload)
        finally:
            self._release(instance)

    @property
    def instances(self) -> int:
        return len(self._live) + self._starting

    def end(self) -> list[Instance]:
        """Ends every instance, busy ones at once (their invocations fail with
        Runtime.ExitError); returns the idle ones, which exit by themselves, to wait for."""
        with self._changed:
            self._closed = True
            idle, busy = self._idle, self._live.difference(self._idle)
            self._live, self._idle = set(), []
            self._changed.notify_all()
        for instance in busy:
            instance.kill()  # its invoking thread closes it
        for instance in idle:
            instance.end()
        return idle

    def close(self) -> None:
        for instance in self.end():
            instance.wait()


def _reserved(function: LocalFunction) -> dict[str, str]:
    """What Lambda itself sets in every function's environment (those the code reads)."""
    return {
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    }


class Functions:
    """The template's functions, each a pool of isolated instances. An instance's environment is
    this process's (where use_endpoint put the endpoint and credentials), what Lambda reserves, its
    function's own variables, then `environment` (the log level)."""

    def __init__(self, template: Template, environment: dict[str, str] | None = None):
        self.by_logical = local_functions(template)
        self.pools = {
            logical: FunctionPool(
                function,
                {**os.environ, **_reserved(function), **template.environment(logical), **(environment or {})},
                concurrency(template, logical),
            )
            for logical, function in self.by_logical.items()
        }

    def invoke(self, logical: str, event):
        """The function's result; FunctionError when it raised (as Lambda reports it)."""
        return self.pools[logical].invoke(event)

    def invoke_json(self, logical: str, payload: bytes) -> bytes:
        """`invoke` for an event and a result as JSON, which pass through unparsed."""
        return self.pools[logical].invoke_json(payload)

    def close(self) -> None:
        ending = [instance for pool in self.pools.values() for instance in pool.end()]
        for instance in ending:
            instance.wait()

    def __enter__(self) -> "Functions":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _json_bytes(body: bytes | str | None) -> bytes:
    if not body:
        return b"{}"
    return body.encode() if isinstance(body, str) else body


@contextmanager
def bind_to_lambda(template: Template, invoke_json) -> Iterator[None]:
    """While active, a Lambda Invoke (RequestResponse) of a template function, through moto,
    runs it by `invoke_json(logical id, payload)` (the event and the result as JSON, passed on
    as they are) and answers as Lambda does: the JSON result, or FunctionError with the error's
    payload. (moto without Docker runs no function code.) Other functions go to moto as before.
    Enter it inside moto and leave it before moto ends."""
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda_simple.models import LambdaSimpleBackend

    by_name = {f.name: logical for logical, f in local_functions(template).items()}
    originals = {cls: cls.invoke for cls in (LambdaBackend, LambdaSimpleBackend)}

    def binding(cls):
        def run(backend, function_name, qualifier, body, headers, response_headers):
            logical = by_name.get(function_name.split(":function:", 1)[-1].split(":", 1)[0])
            if logical is None:
                return originals[cls](backend, function_name, qualifier, body, headers, response_headers)
            try:
                return invoke_json(logical, _json_bytes(body))
            except Exception as exc:
                # an isolated instance's failure arrives as its payload (FunctionError)
                error = getattr(exc, "payload", None) or error_payload(exc)
                logger.warning("%s: %s", error["errorType"], error["errorMessage"])
                response_headers["x-amz-function-error"] = "Unhandled"
                return json.dumps(error).encode()

        return run

    with (
        mock.patch.object(LambdaBackend, "invoke", binding(LambdaBackend)),
        mock.patch.object(LambdaSimpleBackend, "invoke", binding(LambdaSimpleBackend)),
    ):
        yield
