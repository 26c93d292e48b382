"""`python -m bgr_local serve|token|apikey|invoke|demo|mcp-demo|samples` (the Makefile's targets
of those names)."""

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path


def serve(args) -> None:
    from .runtime import LocalRuntime
    from .state_dir import StateDir
    from .template import Template

    logging.basicConfig(format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("bgr_local").setLevel(logging.INFO)  # the API's access log, worker failures
    template = Template(parameters=dict(p.split("=", 1) for p in args.parameter))
    unknown = set(template.parameters) - set(template.body["Parameters"])
    if unknown:
        sys.exit(f"unknown template parameters: {', '.join(sorted(unknown))}")
    state = StateDir(Path(args.state_dir)) if args.state_dir else None
    runtime = LocalRuntime(
        host=args.host, api_port=args.api_port, s3_port=args.s3_port, template=template, state=state
    )
    try:
        runtime.start()
        workers = ", ".join(
            f"{w.mapping.function} <- {w.mapping.queue_url.rsplit('/', 1)[1]}" for w in runtime.workers
        )
        scheduled = ", ".join(s.schedule.function for s in runtime.schedules)
        print(
            f"Local runtime ready (stack {runtime.template.stack_name}; Ctrl-C stops it)\n"
            f"  API      {runtime.api.url}\n"
            f"  S3       {runtime.stack.url}  bucket {runtime.stack.bucket}\n"
            f"  workers  {workers}\n"
            f"  schedule {scheduled} every {runtime.schedule_interval_s:g} s\n"
            f"  token    make token USER=alice [ADMIN=1]\n"
            f"  state    {_state_line(args.state_dir)}",
            flush=True,
        )
        threading.Event().wait()
    except KeyboardInterrupt:
        print("stopping", flush=True)
    finally:
        runtime.stop()


def _state_line(state_dir: str | None) -> str:
    if state_dir:
        return f"saved in {state_dir} on stop, restored on start (not what is queued or running then)"
    return "in memory: a restart loses every balance, job and batch (tokens keep working; see --state-dir)"


def token(args) -> None:
    from . import tokens

    groups = ("admin",) if args.admin else ()
    print(tokens.sign(args.user, groups, secret=tokens.local_secret(), ttl_s=args.ttl))


def apikey(args) -> None:
    """An API key created in a running `serve`'s table (keys live in its DynamoDB, stored hashed)."""
    import requests

    from .runtime import use_endpoint
    from .template import Template

    try:
        requests.get(args.endpoint_url, timeout=5)
    except requests.ConnectionError:
        sys.exit(f"no local runtime at {args.endpoint_url}: start `make serve` first (S3_PORT=...)")
    use_endpoint(Template(), args.endpoint_url, "WARNING")
    from bgr_core.integrations import api_keys

    print(api_keys.create(args.user, args.name)[1])


def invoke(args) -> None:
    from .invoke import invoke_function

    event = json.loads(Path(args.event).read_text()) if args.event else {}
    print(json.dumps(invoke_function(args.function, event, args.endpoint_url), indent=2, default=str))


def demo(args) -> None:
    from .demo import run

    run(Path(args.out))


def mcp_demo(args) -> None:
    from .mcp_demo import run

    run(Path(args.out))


def samples(args) -> None:
    from .demo import write_samples

    for path in write_samples(Path(args.out)):
        print(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bgr_local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("serve", help="the API, the S3 endpoint, the workers, until Ctrl-C")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--api-port", type=int, default=3000, help="0: any free port")
    p.add_argument("--s3-port", type=int, default=5000, help="0: any free port")
    p.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a template parameter, like sam's --parameter-overrides (e.g. UploadExpirySeconds=30)",
    )
    p.add_argument(
        "--state-dir",
        metavar="DIR",
        help="keep the tables and the bucket here across restarts (saved on stop, restored on start)",
    )
    p.set_defaults(run=serve)
    p = commands.add_parser("token", help="print a bearer token the local API accepts")
    p.add_argument("user")
    p.add_argument("--admin", action="store_true", help="in the admin group")
    p.add_argument("--ttl", type=int, default=7 * 24 * 3600, help="seconds (default: a week)")
    p.set_defaults(run=token)
    p = commands.add_parser("apikey", help="print an X-Api-Key a running `serve` accepts")
    p.add_argument("user")
    p.add_argument("--name", default="make apikey")
    p.add_argument("--endpoint-url", default="http://127.0.0.1:5000", help="the serve's S3 endpoint")
    p.set_defaults(run=apikey)
    p = commands.add_parser("invoke", help="run one function with an event, like `sam local invoke`")
    p.add_argument("function", help="logical id in template.yaml, e.g. AccountFunction")
    p.add_argument("event", nargs="?", help="event JSON file (default: {})")
    p.add_argument(
        "--endpoint-url", help="a running `make serve`'s S3 endpoint (default: a fresh local stack)"
    )
    p.set_defaults(run=invoke)
    for name, help_, out, run in (
        ("demo", "sample images through the whole pipeline", "out", demo),
        ("mcp-demo", "an MCP session with the SDK's client, as a transcript", "out", mcp_demo),
        ("samples", "write the sample photos the tour uses", "out/photos", samples),
    ):
        p = commands.add_parser(name, help=help_)
        p.add_argument("--out", default=out)
        p.set_defaults(run=run)
    args = parser.parse_args(argv)
    # Ctrl-C and `kill` shut the runtime down cleanly, even when started in the background
    # (where a shell starts it with SIGINT ignored).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)
    sys.exit(args.run(args))


if __name__ == "__main__":
    main()
