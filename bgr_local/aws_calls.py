"""What a function instance asks of AWS, written down: with `BGR_LOCAL_AWS_CALLS=<dir>` every
API call an instance makes (boto3's and pynamodb's alike, both go through botocore) and every URL
it presigns is appended to `<dir>/<logical id>.jsonl` as {service, operation, params}, the
params cut to the names IAM authorizes on (bucket, key, prefix, table, index, queue, function,
state machine, parameter). tests/unit/deploy/test_iam.py checks such a record against the function's
policy in template.yaml."""

import json
import os
from pathlib import Path

ENV = "BGR_LOCAL_AWS_CALLS"
_KEPT = ("Bucket", "Key", "Prefix", "CopySource", "TableName", "IndexName", "QueueUrl")
_KEPT += ("FunctionName", "stateMachineArn", "executionArn", "Name")  # Name: an SSM parameter's


def _params(params: dict) -> dict:
    kept = {k: params[k] for k in _KEPT if k in params}
    if "TransactItems" in params:  # [(Put|Update|Delete|ConditionCheck, table)]
        kept["TransactItems"] = [
            [op, item[op]["TableName"]] for item in params["TransactItems"] for op in item
        ]
    if "RequestItems" in params:
        kept["RequestItems"] = sorted(params["RequestItems"])
    if "Delete" in params and isinstance(params["Delete"], dict):
        kept["Keys"] = [obj["Key"] for obj in params["Delete"].get("Objects", ())]
    return kept


def record_to(directory: str, logical_id: str) -> None:
    """From now on, this process's AWS calls are appended to `<directory>/<logical_id>.jsonl`."""
    from botocore import client, signers

    path = Path(directory) / f"{logical_id}.jsonl"

    def write(service: str, operation: str, params: dict) -> None:
        line = json.dumps({"service": service, "operation": operation, "params": _params(params)})
        with path.open("a") as out:
            out.write(line + "\n")

    make_api_call = client.BaseClient._make_api_call

    def recorded_call(self, operation_name, api_params):
        write(self.meta.service_model.service_name, operation_name, api_params)
        return make_api_call(self, operation_name, api_params)

    presign_url, presign_post = signers.generate_presigned_url, signers.generate_presigned_post

    def recorded_url(self, ClientMethod, Params=None, *args, **kwargs):
        operation = self._PY_TO_OP_NAME.get(ClientMethod, ClientMethod)
        write(self.meta.service_model.service_name, operation, Params or {})
        return presign_url(self, ClientMethod, Params, *args, **kwargs)

    def recorded_post(self, Bucket, Key, *args, **kwargs):
        write(self.meta.service_model.service_name, "PostObject", {"Bucket": Bucket, "Key": Key})
        return presign_post(self, Bucket, Key, *args, **kwargs)

    client.BaseClient._make_api_call = recorded_call
    # the S3 client class takes these when it is created (before any client exists here)
    signers.generate_presigned_url, signers.generate_presigned_post = recorded_url, recorded_post


def record_if_asked(logical_id: str) -> None:
    if os.environ.get(ENV):
        record_to(os.environ[ENV], logical_id)
