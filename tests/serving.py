"""`python -m bgr_local serve` in a subprocess on free ports, for the end-to-end tests. Every AWS
call its functions make is recorded (bgr_local.aws_calls) and, once it has stopped, checked against
the function's role as template.yaml deploys it: a call the role would refuse fails the test."""

import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from bgr_local import aws_calls, checkout, tokens
from bgr_local.template import Template
from harness import ROOT
from iam import expanded, refused_calls

STARTUP_S = 60
# Stopping ends every function instance the run started (a web page starts several): on a busy
# 2-core machine that can take a while, and only a hang should fail.
STOP_S = 120
# the banner names the endpoints, and says whether the runtime's state outlives it
BANNER = (
    r"^\s+API\s+(?P<api>http://\S+)\n\s+S3\s+(?P<s3>http://\S+)\s+bucket (?P<bucket>\S+)\n"
    r"(?:.*\n)*?\s+state\s+(?:in memory: a restart loses every balance, job and batch|saved in \S+ on stop)"
)


@contextmanager
def serving(log: Path, secret: str, *args: str, **env):
    """The local runtime (`serve [args]`), signing tokens with `secret`, until the block ends, then
    Ctrl-C: it must exit cleanly, having called AWS only as its roles allow. Yields the banner's
    api, s3 and bucket."""
    calls = log.parent / f"{log.stem}-aws-calls"
    calls.mkdir()
    env = {**os.environ, tokens.SECRET_ENV: secret, "PYTHONUNBUFFERED": "1", aws_calls.ENV: str(calls), **env}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bgr_local", "serve", "--api-port", "0", "--s3-port", "0", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_S
        while not (ready := re.search(BANNER, log.read_text(), re.MULTILINE)):
            assert process.poll() is None, f"the runtime exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"not ready after {STARTUP_S} s:\n{log.read_text()}"
            time.sleep(0.2)
        yield ready.groupdict()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=STOP_S) == 0, log.read_text()[-3000:]
        local = Template()  # the stack and region `serve` names its resources by
        # `serve` names the local checkout's secrets (payments on), as a deployment with Stripe does
        stack = expanded(stack_name=local.stack_name, region=local.region, **checkout.PARAMETERS)
        refused = refused_calls(calls, stack)
        assert not refused, f"calls the deployed roles refuse: {refused}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
