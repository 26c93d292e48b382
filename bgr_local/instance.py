"""One function instance, as Lambda runs one: a process of its own (`python -m bgr_local.instance`)
with its function's environment only, which imports its function's handler (init) and then runs
one event at a time, so nothing of an invocation (module globals, powertools' current event) is
seen by any other function's or instance's invocation. The runtime talks to it over a socket
pair: the function's definition first, then an event per invocation, JSON as Lambda passes it,
each answered with OK or FAILED and then the result, or Lambda's error payload, as JSON: what
Lambda returns to its caller, so that a caller which only passes it on never parses it."""

import json
import logging
import os
import signal
import socket
import subprocess
import sys
from multiprocessing.connection import Connection

from . import aws_calls
from .lambdas import LocalFunction, error_payload

logger = logging.getLogger(__name__)
CLOSE_TIMEOUT_S = 10
OK, FAILED = b"1", b"0"  # an answer's first byte


class FunctionError(Exception):
    """An invocation that failed, as Lambda reports it: {errorType, errorMessage, stackTrace}."""

    def __init__(self, payload: dict):
        super().__init__(f"{payload['errorType']}: {payload['errorMessage']}")
        self.payload = payload


class Instance:
    def __init__(self, function: LocalFunction, environment: dict[str, str]):
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(  # the logical id only names the process (ps, top)
                [sys.executable, "-m", __name__, str(theirs.fileno()), function.logical_id],
                env=environment,
                pass_fds=[theirs.fileno()],
            )
        self.conn = Connection(ours.detach())
        self.conn.send(function)

    def invoke(self, event):
        return json.loads(self.invoke_json(json.dumps(event).encode()))

    def invoke_json(self, payload: bytes) -> bytes:
        """The result as JSON for an event as JSON; FunctionError when the function failed."""
        try:
            self.conn.send_bytes(payload)
            answer = self.conn.recv_bytes()
        except (EOFError, OSError):
            raise FunctionError(
                {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"the instance exited with {self.process.wait(CLOSE_TIMEOUT_S)}",
                    "stackTrace": [],
                }
            ) from None
        if answer[:1] != OK:
            raise FunctionError(json.loads(answer[1:]))
        return answer[1:]

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """Ends the instance once its invocation, if any, is over."""
        self.end()
        self.wait()

    def end(self) -> None:
        self.conn.close()  # its recv() ends: the process exits

    def wait(self) -> None:
        try:
            self.process.wait(CLOSE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """Ends the instance now; an invocation in flight fails with Runtime.ExitError."""
        self.process.kill()
        self.process.wait()


def main(fd: int) -> None:
    # Ctrl-C in a terminal reaches the whole process group: the runtime stops its instances itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(format="%(asctime)s %(name)s %(message)s")
    conn = Connection(fd)
    function: LocalFunction = conn.recv()
    aws_calls.record_if_asked(function.logical_id)
    try:
        function.load()
        init_error = None
    except Exception as exc:  # Lambda reports a failed init on every invoke
        logger.exception("%s failed to initialize", function.logical_id)
        init_error = error_payload(exc, "Runtime.ImportModuleError")
    while True:
        try:
            payload = conn.recv_bytes()
        except EOFError:  # the runtime closed it: gone at once, as Lambda ends an instance
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        if init_error is not None:
            conn.send_bytes(FAILED + json.dumps(init_error).encode())
            continue
        try:
            conn.send_bytes(OK + json.dumps(function.invoke(json.loads(payload))).encode())
        except Exception as exc:
            logger.exception("%s failed", function.logical_id)
            conn.send_bytes(FAILED + json.dumps(error_payload(exc)).encode())


if __name__ == "__main__":
    main(int(sys.argv[1]))
