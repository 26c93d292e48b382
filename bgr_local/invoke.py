"""`make invoke`: Docker-free `sam local invoke` — one function of template.yaml run in an
instance of its own with an event, against a running `make serve` or a fresh local stack."""

from .functions import Functions
from .runtime import LocalStack, use_endpoint
from .template import Template


def invoke_function(logical: str, event: dict, endpoint_url: str | None = None):
    template = Template()
    if logical not in template.of_type("AWS::Serverless::Function"):
        raise SystemExit(f"{logical} is not a function of template.yaml")
    if endpoint_url:
        use_endpoint(template, endpoint_url)
        with Functions(template) as functions:
            return functions.invoke(logical, event)
    stack = LocalStack(port=0, template=template).start()
    try:
        return stack.functions.invoke(logical, event)
    finally:
        stack.stop()
