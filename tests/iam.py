"""template.yaml's IAM as AWS would deploy it: expanded by samtranslator (the translator `sam
deploy` runs), its intrinsics resolved for one stack, and judged by a small policy evaluator
(explicit Deny wins, then any Allow; `*`/`?` wildcards; the condition operators the template
uses). Also maps a recorded AWS call (bgr_local.aws_calls) to the IAM (action, resource) pairs
AWS authorizes it by."""

import copy
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache

from bgr_local.template import ACCOUNT, Template

STACK, REGION = "background-remover-pro", "ap-southeast-3"

# The AWS managed policies SAM attaches, as AWS publishes them (a role may hold no other).
MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        },
    ],
}


def _packaged(body: dict) -> dict:
    """The template as `sam package` leaves it: code and definitions at S3 URIs."""
    body = copy.deepcopy(body)
    for resource in body["Resources"].values():
        props = resource.get("Properties", {})
        kind = resource["Type"]
        if kind == "AWS::Serverless::Function":
            if props.get("PackageType") == "Image":
                props["ImageUri"] = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/bgr:latest"
            else:
                props["CodeUri"] = "s3://packaged/code.zip"
        elif kind == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = "s3://packaged/layer.zip"
        elif kind == "AWS::Serverless::StateMachine":
            props["DefinitionUri"] = "s3://packaged/definition.json"
    return body


class _NoManagedPolicies:
    def load(self) -> dict:
        return {}


@cache
def _translated() -> dict:
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    from samtranslator.translator.transform import transform

    body = json.loads(json.dumps(_packaged(Template().body)))
    return transform(body, {}, _NoManagedPolicies())


def expanded(stack_name: str = STACK, region: str = REGION, **parameters: str) -> Template:
    """The translated template, its intrinsics resolvable for that stack and these parameters."""
    template = Template(stack_name=stack_name, region=region, parameters=parameters)
    template.__dict__["body"] = _translated()
    return template


def _role_arn(template: Template, logical: str) -> str:
    """As CloudFormation names a role it creates: <stack>-<logical id>-<random suffix>."""
    return f"arn:aws:iam::{ACCOUNT}:role/{template.stack_name}-{logical}-1A2B3C4D5E6F"


@dataclass
class Principal:
    """A role: its statements (inline and managed) and its ARN."""

    arn: str
    statements: list[dict] = field(default_factory=list)


def roles(template: Template) -> dict[str, Principal]:
    """Logical id of each function and state machine -> its role."""
    found = {}
    for logical, resource in template.resources.items():
        if resource["Type"] not in ("AWS::Lambda::Function", "AWS::StepFunctions::StateMachine"):
            continue
        role = resource["Properties"]["RoleArn" if "StateMachine" in resource["Type"] else "Role"]
        role_logical = role["Fn::GetAtt"][0]
        props = template.resources[role_logical]["Properties"]
        statements = []
        for policy in template.resolve(props.get("Policies", [])):  # Fn::If: this stack's conditions
            statements += listed(policy["PolicyDocument"]["Statement"])
        for arn in props.get("ManagedPolicyArns", []):
            statements += MANAGED[template.resolve(arn)]  # KeyError: an unknown managed policy
        found[logical] = Principal(_role_arn(template, role_logical), statements)
    return found


def bucket_policy(template: Template, bucket: str) -> list[dict]:
    for resource in template.of_type("AWS::S3::BucketPolicy").values():
        if resource["Properties"]["Bucket"] == {"Ref": bucket}:
            return listed(template.resolve(resource["Properties"]["PolicyDocument"])["Statement"])
    return []


# -- evaluation ---------------------------------------------------------------------------
def listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str, *, case: bool = True) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE) is not None


def _condition_holds(condition: dict, context: dict) -> bool:
    for operator, tests in condition.items():
        for key, wanted in tests.items():
            if key not in context:
                return False  # a key the request does not carry: the condition fails
            value, wanted = str(context[key]), [str(w) for w in listed(wanted)]
            if operator in ("StringEquals", "ArnEquals"):
                ok = value in wanted
            elif operator in ("StringLike", "ArnLike"):
                ok = any(_like(w, value) for w in wanted)
            elif operator in ("StringNotEquals", "ArnNotEquals"):
                ok = value not in wanted
            elif operator in ("StringNotLike", "ArnNotLike"):
                ok = not any(_like(w, value) for w in wanted)
            elif operator == "Bool":
                ok = value.lower() in (w.lower() for w in wanted)
            else:
                raise NotImplementedError(f"condition operator {operator}")
            if not ok:
                return False
    return True


def _matches(statement: dict, action: str, resource: str, context: dict) -> bool:
    if "Action" in statement:
        hit = any(_like(a, action, case=False) for a in listed(statement["Action"]))
    else:
        hit = not any(_like(a, action, case=False) for a in listed(statement["NotAction"]))
    if not hit:
        return False
    if "Resource" in statement:
        hit = any(_like(r, resource) for r in listed(statement["Resource"]))
    else:
        hit = not any(_like(r, resource) for r in listed(statement["NotResource"]))
    return hit and _condition_holds(statement.get("Condition", {}), context)


def _principal_named(statement: dict, principal: str) -> bool:
    named = statement.get("Principal")
    if named == "*" or named is None:
        return True
    return principal in listed(named.get("AWS", [])) if isinstance(named, dict) else False


def allowed(
    principal: Principal, action: str, resource: str, context: dict | None = None, resource_policy=()
) -> bool:
    """Whether AWS would let `principal` (of this account) do `action` on `resource`: its own
    statements and the resource's policy; an explicit Deny in either wins."""
    context = {"aws:PrincipalArn": principal.arn, "aws:SecureTransport": "true", **(context or {})}
    relevant = [(s, True) for s in principal.statements]
    relevant += [(s, False) for s in resource_policy if _principal_named(s, principal.arn)]
    hits = [s for s, _ in relevant if _matches(s, action, resource, context)]
    if any(s["Effect"] == "Deny" for s in hits):
        return False
    return any(s["Effect"] == "Allow" for s in hits)


# -- recorded calls (bgr_local.aws_calls) -> (action, resource) -----------------------------
S3_ACTIONS = {
    "HeadObject": "GetObject",
    "PostObject": "PutObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "UploadPartCopy": "PutObject",
    "CopyObject": "PutObject",
    "DeleteObjects": "DeleteObject",
    "HeadBucket": "ListBucket",
    "ListObjectsV2": "ListBucket",
}
TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
TRANSACT_ACTIONS["ConditionCheck"] = "ConditionCheckItem"


def authorized_by(call: dict, region: str, account: str = ACCOUNT) -> list[tuple[str, str, dict]]:
    """The (action, resource, context) triples IAM checks for one recorded call."""
    service, operation, params = call["service"], call["operation"], call["params"]
    if service == "s3":
        bucket = f"arn:aws:s3:::{params['Bucket']}"
        action = "s3:" + S3_ACTIONS.get(operation, operation)
        if action == "s3:ListBucket":
            return [(action, bucket, {"s3:prefix": params["Prefix"]} if "Prefix" in params else {})]
        checks = [(action, f"{bucket}/{key}", {}) for key in params.get("Keys") or [params["Key"]]]
        if "CopySource" in params:
            source = params["CopySource"]
            source = f"{source['Bucket']}/{source['Key']}" if isinstance(source, dict) else source
            checks.append(("s3:GetObject", f"arn:aws:s3:::{source.lstrip('/')}", {}))
        return checks
    if service == "dynamodb":
        table = f"arn:aws:dynamodb:{region}:{account}:table/"
        if operation == "TransactWriteItems":
            return [
                (f"dynamodb:{TRANSACT_ACTIONS[op]}", table + name, {}) for op, name in params["TransactItems"]
            ]
        if "RequestItems" in params:
            return [(f"dynamodb:{operation}", table + name, {}) for name in params["RequestItems"]]
        index = f"/index/{params['IndexName']}" if "IndexName" in params else ""
        return [(f"dynamodb:{operation}", table + params["TableName"] + index, {})]
    if service == "sqs":
        name = params["QueueUrl"].rstrip("/").rsplit("/", 1)[-1]
        return [(f"sqs:{operation}", f"arn:aws:sqs:{region}:{account}:{name}", {})]
    if service == "lambda" and operation == "Invoke":
        name = params["FunctionName"].split(":function:")[-1].split(":")[0]
        return [("lambda:InvokeFunction", f"arn:aws:lambda:{region}:{account}:function:{name}", {})]
    if service == "stepfunctions":
        return [(f"states:{operation}", params.get("stateMachineArn") or params["executionArn"], {})]
    if service == "ssm":  # names begin with "/"
        return [(f"ssm:{operation}", f"arn:aws:ssm:{region}:{account}:parameter{params['Name']}", {})]
    raise NotImplementedError(f"no IAM mapping for {service}:{operation}")


def refused_calls(directory, template: Template) -> dict[str, list]:
    """Of the calls recorded under `directory` (bgr_local.aws_calls, one file per function), the
    ones the function's role would not be allowed, by function; the images bucket's policy counts."""
    from pathlib import Path

    principals, refused = roles(template), {}
    statements = bucket_policy(template, "ImagesBucket")
    for path in sorted(Path(directory).glob("*.jsonl")):
        principal = principals[path.stem]
        for line in path.read_text().splitlines():
            call = json.loads(line)
            for action, resource, context in authorized_by(call, template.region):
                if not allowed(principal, action, resource, context, resource_policy=statements):
                    refused.setdefault(path.stem, []).append((action, resource, context))
    return refused
