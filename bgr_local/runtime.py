"""The local runtime: moto as one S3-compatible endpoint for every AWS service, the
stack created from template.yaml on it, the API served over HTTP, the queues' workers and the
batch workflow running the real handlers, in one process until `stop()`.

The process environment becomes the functions' environment (as template.yaml gives it) and
points boto3 and pynamodb at moto (AWS_ENDPOINT_URL), before any handler, and so any bgr_core
module, is imported: pynamodb binds table names at import.
"""

import dataclasses
import logging
import os
import resource
from contextlib import ExitStack
from dataclasses import dataclass, field

import boto3
import requests
from moto.server import ThreadedMotoServer

from . import checkout, tokens
from .api_server import ApiServer, LocalApi
from .functions import Functions, bind_to_lambda
from .lambdas import bind_to_stepfunctions
from .moto_atomic import serialize_dynamodb_requests
from .moto_lookups import cache_lookups
from .schedules import DEFAULT_INTERVAL_S, INTERVAL_ENV, ScheduleRunner, schedules
from .stack import Stack
from .state_dir import StateDir
from .template import ROOT, Template
from .webapp import WebApp, security_headers
from .workers import QueueWorker, mappings

# moto keeps an S3 object smaller than this in memory (by default up to 5 MB, so every original
# and result): larger ones go to a temporary file, so the runtime's memory does not grow with
# what a batch stores. Each such file stays open, hence the raised limit of open files.
S3_MEMORY_BYTES = 64 * 1024

# Queues keep the template's 720 s visibility timeout in AWS; locally a failed message comes
# back (and reaches the DLQ after maxReceiveCount) after this many seconds instead.
VISIBILITY_ENV = "BGR_LOCAL_VISIBILITY_TIMEOUT"
DEFAULT_VISIBILITY_S = 30


def use_endpoint(template: Template, endpoint_url: str, log_level: str = "INFO") -> None:
    """This process's environment as the template's functions get it, talking to `endpoint_url`
    with fake credentials."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION=template.region,
        AWS_REGION=template.region,
        POWERTOOLS_TRACE_DISABLED="true",  # no X-Ray daemon here
        POWERTOOLS_METRICS_DISABLED="true",
    )
    for function in template.of_type("AWS::Serverless::Function"):
        os.environ.update(template.environment(function))
    os.environ["POWERTOOLS_LOG_LEVEL"] = log_level
    os.environ.setdefault("U2NET_HOME", str(ROOT / "models"))
    os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))


@dataclass
class LocalStack:
    """moto on a local port with the template's resources, Step Functions executing state
    machines with the real handlers, and DynamoDB requests atomic."""

    host: str = "127.0.0.1"
    port: int = 5000  # 0: any free port
    template: Template = field(default_factory=Template)
    log_level: str = "INFO"
    environment: dict[str, str] = field(default_factory=dict)  # the functions' own, on top
    state: StateDir | None = None  # `serve --state-dir`: restored on start, saved on stop

    def __post_init__(self):
        self._moto = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._running = False
        self._started = False  # the stack was created whole: only then is it saved
        self._patches = ExitStack()
        self.functions: Functions | None = None

    @property
    def url(self) -> str:
        host, port = self._moto.get_host_and_port()
        return f"http://{host}:{port}"

    @property
    def bucket(self) -> str:
        return self.template.name(next(iter(self.template.of_type("AWS::S3::Bucket"))))

    def start(self) -> "LocalStack":
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
        os.environ.setdefault("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", str(S3_MEMORY_BYTES))
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        self._moto.start()
        self._running = True
        try:
            self._patches.enter_context(cache_lookups())
            use_endpoint(self.template, self.url, self.log_level)
            config = {"stepfunctions": {"execute_state_machine": True}}
            requests.post(f"{self.url}/moto-api/config", json=config, timeout=10).raise_for_status()
            self._patches.enter_context(serialize_dynamodb_requests())
            self.functions = Functions(
                self.template,
                {"POWERTOOLS_LOG_LEVEL": self.log_level, **tokens.verifier_environment(), **self.environment},
            )
            self._patches.callback(self.functions.close)
            self._patches.enter_context(bind_to_stepfunctions(self.template, self.functions.invoke))
            self._patches.enter_context(bind_to_lambda(self.template, self.functions.invoke_json))
            Stack(self.template, self.state).create()
        except BaseException:
            self.stop()
            raise
        self._started = True
        return self

    def save(self) -> None:
        """The tables and the bucket into the state directory (nothing without one, or before a
        start that completed: a half-created stack must not replace the last save)."""
        if self.state is None or not self._started:
            return
        tables = [self.template.name(t) for t in self.template.of_type("AWS::DynamoDB::Table")]
        ddb, s3 = (boto3.client(service, region_name=self.template.region) for service in ("dynamodb", "s3"))
        self.state.save(ddb, s3, tables, [self.bucket])

    def stop(self) -> None:
        self._patches.close()
        if self._running:
            self._moto.stop()
            self._running = False


@dataclass
class LocalRuntime:
    host: str = "127.0.0.1"
    api_port: int = 3000  # 0: any free port
    s3_port: int = 5000
    template: Template = field(default_factory=Template)
    log_level: str = "INFO"
    state: StateDir | None = None
    visibility_timeout_s: int = field(
        default_factory=lambda: int(os.environ.get(VISIBILITY_ENV, DEFAULT_VISIBILITY_S))
    )
    # Scheduled functions run this often instead of at the template's rate.
    schedule_interval_s: float = field(
        default_factory=lambda: float(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL_S))
    )

    def __post_init__(self):
        # Payments through the local checkout, unless the parameters say otherwise (empty: off)
        self.template = dataclasses.replace(
            self.template, parameters={**checkout.PARAMETERS, **self.template.parameters}
        )
        self.payments = all(self.template.parameter(name) for name in checkout.PARAMETERS)
        self.stack = LocalStack(self.host, self.s3_port, self.template, self.log_level, state=self.state)
        self.checkout: checkout.LocalCheckout | None = None
        self.api: ApiServer | None = None
        self.workers: list[QueueWorker] = []
        self.schedules: list[ScheduleRunner] = []

    def start(self) -> "LocalRuntime":
        secret = tokens.local_secret()
        # listening first: the functions' environment names the web app's and the checkout's URLs
        self.api = ApiServer(None, self.host, self.api_port)
        try:
            if self.payments:
                self.checkout = checkout.LocalCheckout(self.host)
                self.checkout.webhook_url = self.api.url + checkout.WEBHOOK_PATH
                self.stack.environment.update(
                    STRIPE_API_BASE=self.checkout.url, CHECKOUT_RETURN_URL=f"{self.api.url}/#/account"
                )
            self.stack.start()
            if self.checkout is not None:
                self.checkout.store_secrets(self.template.region)
                self.checkout.start()
            functions = self.stack.functions
            sqs = boto3.client("sqs", region_name=self.template.region)
            for mapping in mappings(self.template):
                sqs.set_queue_attributes(
                    QueueUrl=mapping.queue_url,
                    Attributes={"VisibilityTimeout": str(self.visibility_timeout_s)},
                )
                pollers = functions.pools[mapping.function].concurrency
                self.workers.append(QueueWorker(mapping, functions, self.template.region, pollers))
            self.schedules = [
                ScheduleRunner(schedule, functions, self.template.region, self.schedule_interval_s)
                for schedule in schedules(self.template)
            ]
            self.api.api = LocalApi(self.template, functions, secret)
            self.api.web = WebApp(secret, headers=security_headers(self.template, self.stack.url))
            self.api.start()
            for worker in (*self.workers, *self.schedules):
                worker.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for worker in (*self.workers, *self.schedules):
            worker.halt()  # nothing new starts
        if self.stack.functions is not None:
            self.stack.functions.close()  # what is in flight ends now, not when it is done
        for worker in (*self.workers, *self.schedules):
            if worker.is_alive():
                worker.stop()
        self.workers, self.schedules = [], []
        if self.api is not None:
            self.api.stop()
            self.api = None
        if self.checkout is not None:
            self.checkout.stop()
            self.checkout = None
        self.stack.save()  # once nothing runs: what is saved is what the last request left
        self.stack.stop()

    def __enter__(self) -> "LocalRuntime":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
