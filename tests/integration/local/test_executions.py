"""Step Functions executions end with the binding that runs their tasks: none is left retrying on
moto's background thread, where its Lambda invokes would go to whatever listens on
localhost:$MOTO_PORT once the binding is gone."""

import json
import threading

import boto3
from moto import mock_aws
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.utils import TMP_THREADS

from bgr_local import lambdas
from bgr_local.lambdas import bind_to_stepfunctions
from bgr_local.stack import Stack
from harness import TEMPLATE


def test_an_execution_retrying_when_the_binding_ends_is_stopped_and_invokes_nothing_after(monkeypatch):
    escaped, first_failure = [], threading.Event()
    monkeypatch.setattr(lambda_eval_utils, "_invoke_lambda_function", lambda *args: escaped.append(args))
    run_in_process = lambdas.LocalFunction.invoke

    def invoke(function, event):
        try:
            return run_in_process(function, event)
        finally:
            first_failure.set()

    monkeypatch.setattr(lambdas.LocalFunction, "invoke", invoke)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        with bind_to_stepfunctions(TEMPLATE):
            Stack(TEMPLATE).create()
            sfn = boto3.client("stepfunctions")
            started = sfn.start_execution(
                stateMachineArn=TEMPLATE.arn("BatchZipStateMachine"),
                input=json.dumps({"batchId": "no-such-batch"}),  # Plan fails and is retried
            )
            assert first_failure.wait(60)
        assert [t for t in TMP_THREADS if t.is_alive()] == []
        status = sfn.describe_execution(executionArn=started["executionArn"])["status"]
    assert status != "RUNNING" and escaped == []
