"""A function for the instance tests: what its process, environment and module globals hold."""

import os
import threading

CALLS: list[str] = []  # module state, as handlers keep resolvers and batch processors


def handler(event, context):
    if "raise" in event:
        raise ValueError(event["raise"])
    if "block" in event:  # says so through the FIFO at that path, then never returns
        with open(event["block"], "w") as fifo:
            fifo.write("started")
        threading.Event().wait()
    if "exit" in event:
        os._exit(event["exit"])
    CALLS.append(event["tag"])
    return {
        "pid": os.getpid(),
        "calls": CALLS,
        "env": os.environ.get("INSTANCE_TEST"),
        "name": context.function_name,
    }
