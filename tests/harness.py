"""The test environment: what template.yaml gives the functions, set before any core import
(pynamodb models bind their table names at import)."""

import os
from pathlib import Path

from bgr_local.template import Template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Template(stack_name="bgr-test")

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION=TEMPLATE.region,
    AWS_REGION=TEMPLATE.region,
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_METRICS_DISABLED="true",
    POWERTOOLS_DEV="false",
)
for function in TEMPLATE.of_type("AWS::Serverless::Function"):
    os.environ.update(TEMPLATE.environment(function))
os.environ.setdefault("U2NET_HOME", str(ROOT / "models"))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
