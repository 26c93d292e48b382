"""Production code knows nothing of the local runtime: every variable a deployed module reads is
one AWS gives it (template.yaml, the Lambda runtime, the inference image), and the local runtime
hands the functions only variables the template sets, with its own values (as API Gateway and
Cognito would give theirs)."""

import ast
import tomllib

from bgr_core.platform.config import Settings
from bgr_local import tokens
from harness import ROOT, TEMPLATE

DEPLOYED = [ROOT / "layers" / "core" / "bgr_core", ROOT / "functions"]
# what Lambda sets in every function's environment
LAMBDA_RUNTIME = {
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "LAMBDA_TASK_ROOT",
}


def template_variables() -> set[str]:
    return {name for f in TEMPLATE.of_type("AWS::Serverless::Function") for name in TEMPLATE.environment(f)}


def image_variables() -> set[str]:
    return set(tomllib.loads((ROOT / "functions" / "inference" / "image.toml").read_text())["env"])


def sources():
    for folder in DEPLOYED:
        for path in folder.rglob("*.py"):
            yield path, path.read_text()


def read_directly() -> set[str]:
    """Names read with os.environ[...], os.environ.get(...) or os.getenv(...)."""
    names = set()
    for _, text in sources():
        for node in ast.walk(ast.parse(text)):
            target = None
            if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
                target = node.slice
            elif isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.environ.get", "os.getenv"):
                target = node.args[0] if node.args else None
            if isinstance(target, ast.Constant):
                names.add(target.value)
    return names


def test_every_setting_and_variable_read_is_given_in_aws():
    settings = {(field.validation_alias or name).upper() for name, field in Settings.model_fields.items()}
    given = template_variables() | LAMBDA_RUNTIME | image_variables()
    assert (settings | read_directly()) - given == set()


def test_no_deployed_module_imports_or_names_the_local_runtime():
    mentions = [
        path.relative_to(ROOT).as_posix()
        for path, text in sources()
        if "bgr_local" in text or "BGR_LOCAL" in text or "LOCAL_TOKEN" in text
    ]
    assert mentions == []


def test_the_local_runtime_hands_functions_only_the_templates_variables():
    assert set(tokens.verifier_environment(b"any")) <= template_variables()
