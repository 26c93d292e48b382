"""Reads template.yaml and resolves its intrinsics for a local stack.

Physical ids are a pure function of (stack name, region, account, logical id), so the
environment of a function can be computed before the stack exists (pynamodb binds table names
at import) and the stack builder creates resources under exactly those ids.
"""

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"
ACCOUNT = "123456789012"  # moto's default account
NO_VALUE = object()  # Ref AWS::NoValue: the property or list item is left out


@dataclass
class Template:
    stack_name: str = "bgr-local"
    region: str = "ap-southeast-1"
    parameters: dict[str, str] = field(default_factory=dict)
    path: Path = TEMPLATE_PATH

    @cached_property
    def body(self) -> dict:
        from cfnlint.decode import cfn_yaml  # not at import: function instances need ROOT only

        return cfn_yaml.loads(self.path.read_text())

    @property
    def resources(self) -> dict[str, dict]:
        return self.body["Resources"]

    def of_type(self, *types: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if v["Type"] in types}

    def parameter(self, name: str) -> str:
        if name in self.parameters:
            return str(self.parameters[name])
        return str(self.body["Parameters"][name]["Default"])

    # -- physical ids -------------------------------------------------------------------
    def name(self, logical: str) -> str:
        props = self.resources[logical].get("Properties", {})
        for key in ("BucketName", "TableName", "QueueName", "FunctionName", "Name", "Domain"):
            if key in props:
                return self.resolve(props[key])
        return f"{self.stack_name}-{logical}"

    def ref(self, logical: str) -> str:
        pseudo = {
            "AWS::StackName": self.stack_name,
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if logical in pseudo:
            return pseudo[logical]
        if logical in self.body.get("Parameters", {}):
            value = self.parameter(logical)
            if self.body["Parameters"][logical]["Type"] == "CommaDelimitedList":
                return [item.strip() for item in value.split(",")]
            return value
        kind = self.resources[logical]["Type"]
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT}/{self.name(logical)}"
        if kind in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            return self.arn(logical)
        return self.name(logical)

    def arn(self, logical: str) -> str:
        kind, name = self.resources[logical]["Type"], self.name(logical)
        # the translated template (tests/iam.py) has SAM's resources as CloudFormation's
        kind = {"AWS::Lambda::Function": "AWS::Serverless::Function"}.get(kind, kind)
        kind = {"AWS::StepFunctions::StateMachine": "AWS::Serverless::StateMachine"}.get(kind, kind)
        return {
            "AWS::SQS::Queue": f"arn:aws:sqs:{self.region}:{ACCOUNT}:{name}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{self.region}:{ACCOUNT}:table/{name}",
            "AWS::Serverless::Function": f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{name}",
            "AWS::Serverless::StateMachine": f"arn:aws:states:{self.region}:{ACCOUNT}:stateMachine:{name}",
            "AWS::Cognito::UserPool": f"arn:aws:cognito-idp:{self.region}:{ACCOUNT}:userpool/{name}",
            "AWS::CloudWatch::Alarm": f"arn:aws:cloudwatch:{self.region}:{ACCOUNT}:alarm:{name}",
        }[kind]

    def get_att(self, logical: str, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(logical)
        if attribute in ("Name", "QueueName"):
            return self.name(logical)
        if attribute == "QueueUrl":
            return self.ref(logical)
        if attribute == "DomainName":  # a distribution's
            return f"{self.name(logical).lower()}.cloudfront.net"
        raise KeyError(f"{logical}.{attribute} has no local value")

    # -- intrinsics ---------------------------------------------------------------------
    def resolve(self, value):
        if isinstance(value, list):
            return [r for r in map(self.resolve, value) if r is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref":
                return NO_VALUE if arg == "AWS::NoValue" else self.ref(arg)
            if fn == "Fn::If":
                name, if_true, if_false = arg
                return self.resolve(if_true if self.condition(name) else if_false)
            if fn == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical, attribute)
            if fn == "Fn::Sub":
                template, variables = (arg, {}) if isinstance(arg, str) else arg
                return self._sub(template, {k: self.resolve(v) for k, v in variables.items()})
            if fn == "Fn::Join":
                return arg[0].join(str(v) for v in self.resolve(arg[1]))
            if fn == "Fn::Split":
                return str(self.resolve(arg[1])).split(arg[0])
        resolved = ((k, self.resolve(v)) for k, v in value.items())
        return {k: r for k, r in resolved if r is not NO_VALUE}

    def condition(self, name: str) -> bool:
        """A condition of the template's Conditions, under these parameters."""
        return self._holds(self.body["Conditions"][name])

    def _holds(self, expression: dict) -> bool:
        ((fn, arg),) = expression.items()
        if fn == "Fn::Equals":
            left, right = (self.resolve(v) for v in arg)
            return str(left) == str(right)
        if fn == "Fn::Not":
            return not self._holds(arg[0])
        if fn == "Fn::And":
            return all(self._holds(a) for a in arg)
        if fn == "Fn::Or":
            return any(self._holds(a) for a in arg)
        if fn == "Condition":
            return self.condition(arg)
        raise NotImplementedError(f"condition function {fn}")

    def _sub(self, template: str, variables: dict) -> str:
        def one(match: re.Match) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            logical, _, attribute = name.partition(".")
            return self.get_att(logical, attribute) if attribute else self.ref(logical)

        return re.sub(r"\$\{([^}!][^}]*)\}", one, template)

    # -- functions ----------------------------------------------------------------------
    def environment(self, function: str) -> dict[str, str]:
        """The environment Lambda would give `function`: Globals, then its own variables."""
        global_vars = self.body.get("Globals", {}).get("Function", {}).get("Environment", {})
        own = self.resources[function]["Properties"].get("Environment", {})
        merged = {**global_vars.get("Variables", {}), **own.get("Variables", {})}
        return {str(k): str(self.resolve(v)) for k, v in merged.items()}

    def state_machine_definition(self, logical: str) -> str:
        props = self.resources[logical]["Properties"]
        text = (self.path.parent / props["DefinitionUri"]).read_text()
        for key, value in props.get("DefinitionSubstitutions", {}).items():
            text = text.replace("${" + key + "}", str(self.resolve(value)))
        json.loads(text)  # fail here, not in Step Functions, if a substitution broke it
        return text
