"""template.yaml's zip-packaged functions as in-process handlers, and the binding that lets moto's
Step Functions run them.

moto executes state machines itself, but without Docker its Lambda backend never runs function
code. The binding replaces the one seam where moto's `arn:aws:states:::lambda:invoke` task calls
Lambda (`lambda_eval_utils._invoke_lambda_function`): a function of the template is run here,
`<CodeUri>/<module>.<function>(payload, context)` as its Handler says, and answers the way Lambda
does (the JSON result as Payload; an exception as FunctionError with errorType and errorMessage,
which Step Functions turns into the task's error name for Retry and Catch). Any other function
goes to moto's Lambda backend as before.
"""

import importlib.util
import json
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache, partial
from types import ModuleType, SimpleNamespace
from unittest import mock

import boto3

from .context import LambdaContext
from .template import ROOT, Template

END_EXECUTIONS_S = 15  # how long ending the binding may wait for moto's execution threads

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalFunction:
    logical_id: str
    name: str
    arn: str
    code_uri: str  # relative to the repository root, as in the template
    handler: str  # module.function
    timeout_s: float
    memory_mb: int

    def load(self) -> Callable:
        module, function = self.handler.rsplit(".", 1)
        return getattr(_module(self.code_uri, module), function)

    def invoke(self, event):
        context = LambdaContext(
            function_name=self.name, timeout_s=self.timeout_s, memory_limit_in_mb=self.memory_mb
        )
        context.invoked_function_arn = self.arn
        return self.load()(event, context)


@cache
def _module(code_uri: str, module: str) -> ModuleType:
    """The handler module, imported under a name of its own per CodeUri (every function's module
    may be called `app`), with CodeUri on sys.path as Lambda's task root is."""
    code_dir = (ROOT / code_uri).resolve()
    if str(code_dir) not in sys.path:
        sys.path.insert(0, str(code_dir))
    name = ".".join((*code_dir.relative_to(ROOT).parts, module))
    spec = importlib.util.spec_from_file_location(name, code_dir / f"{module.replace('.', '/')}.py")
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def functions(template: Template) -> dict[str, LocalFunction]:
    """Every zip-packaged function of the template, by ARN and by name (what FunctionName may say)."""
    globals_ = template.body.get("Globals", {}).get("Function", {})
    found: dict[str, LocalFunction] = {}
    for logical, resource in template.of_type("AWS::Serverless::Function").items():
        props = resource["Properties"]
        if props.get("PackageType") == "Image":
            continue
        function = LocalFunction(
            logical_id=str(logical),  # plain strings: instances are started with a pickled copy
            name=template.name(logical),
            arn=template.arn(logical),
            code_uri=str(props["CodeUri"]),
            handler=str(props["Handler"]),
            timeout_s=float(props.get("Timeout", globals_.get("Timeout", 3))),
            memory_mb=int(props.get("MemorySize", globals_.get("MemorySize", 128))),
        )
        found[function.arn] = found[function.name] = function
    return found


def lambda_result(result):
    """The result as Lambda returns it to its caller: what JSON makes of it."""
    return json.loads(json.dumps(result))


def error_payload(exc: BaseException, error_type: str | None = None) -> dict:
    """An exception as Lambda reports a failed invocation."""
    return {
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def _lambda_response(invoke: Callable[[dict], object], payload: bytes | None) -> dict:
    try:
        result = lambda_result(invoke(json.loads(payload or b"{}")))
    except Exception as exc:
        # an isolated instance's failure arrives as its payload (bgr_local.functions.FunctionError)
        error = getattr(exc, "payload", None) or error_payload(exc)
        logger.warning("%s: %s", error["errorType"], error["errorMessage"])
        return {
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "Payload": error,
            "ExecutedVersion": "$LATEST",
        }
    return {"StatusCode": 200, "Payload": result, "ExecutedVersion": "$LATEST"}


def _end_executions(region: str, woken: threading.Event) -> None:
    """Stops every running execution, wakes the retry waits, and waits for moto's threads. An
    execution just started may not have its worker yet (moto then fails the stop) and a thread may
    be listed just before it starts: both are taken again on the next round."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    sfn = boto3.client("stepfunctions", region_name=region)
    deadline = time.monotonic() + END_EXECUTIONS_S
    while True:
        running = [
            execution["executionArn"]
            for machine in sfn.list_state_machines()["stateMachines"]
            for execution in sfn.list_executions(
                stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING"
            )["executions"]
        ]
        for arn in running:
            with suppress(Exception):
                sfn.stop_execution(executionArn=arn, error="LocalStackStopped")
        woken.set()
        for thread in [t for t in TMP_THREADS if t.ident is not None]:
            thread.join(max(0.0, deadline - time.monotonic()))
        TMP_THREADS[:] = [t for t in TMP_THREADS if t.ident is None or t.is_alive()]
        if (not running and not TMP_THREADS) or time.monotonic() > deadline:
            return
        time.sleep(0.05)


@contextmanager
def bind_to_stepfunctions(
    template: Template, invoke: Callable[[str, dict], object] | None = None
) -> Iterator[dict[str, LocalFunction]]:
    """While active, moto-executed lambda:invoke tasks run the template's real handlers: through
    `invoke(logical id, event)` (the local runtime's isolated instances), else in this process.
    Its end is the end of every execution: none is left retrying in the background, where its
    invokes would go to whatever listens on localhost:$MOTO_PORT. Enter it inside moto (the mock
    or the server) and leave it before moto ends."""
    # imported here: a function instance (bgr_local.instance) imports this module, never moto
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    local = functions(template)
    moto_invoke = lambda_eval_utils._invoke_lambda_function
    ending = threading.Event()  # wakes the retry waits (plain sleeps in moto) when the binding ends

    def invoke_task(parameters: dict, region: str, state_credentials):
        function = local.get(parameters["FunctionName"])
        if function is None:
            return moto_invoke(parameters, region, state_credentials)
        run = function.invoke if invoke is None else partial(invoke, function.logical_id)
        return _lambda_response(run, parameters.get("Payload"))

    with (
        mock.patch.object(lambda_eval_utils, "_invoke_lambda_function", invoke_task),
        mock.patch.object(retrier_decl, "time", SimpleNamespace(sleep=ending.wait)),
    ):
        try:
            yield local
        finally:
            _end_executions(template.region, woken=ending)
