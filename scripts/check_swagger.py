"""Loads the Swagger UI page of the local API in a real headless browser (Debian's chromium) and
checks that it shows every route template.yaml declares; leaves a screenshot in out/swagger.png.

    make swagger-check     (installs chromium with apt-get when it is missing)
"""

import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bgr_local.template import Template  # noqa: E402

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=20000",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def template_routes() -> set[tuple[str, str]]:
    routes = set()
    for res in Template().of_type("AWS::Serverless::Function").values():
        for event in res["Properties"].get("Events", {}).values():
            if event["Type"] == "Api":
                routes.add((event["Properties"]["Method"].lower(), event["Properties"]["Path"]))
    return routes


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    for _ in range(120):
        if server.poll() is not None:
            raise SystemExit("the local runtime exited before answering")
        try:
            # the http:// URL of the runtime this script started (bandit B310)
            with urlopen(url, timeout=2):  # nosec B310
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer")


def main() -> int:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed (make swagger-check installs it)")
    api = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bgr_local", "serve", "--api-port", str(api), "--s3-port", str(free_port())],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        docs = f"http://127.0.0.1:{api}/api/docs"
        wait_until_up(f"http://127.0.0.1:{api}/api/openapi.json", server)
        with tempfile.TemporaryDirectory() as profile:
            flags = [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
            dom = subprocess.run(
                [chromium, *flags, "--dump-dom", docs], capture_output=True, text=True, timeout=120
            )
            (ROOT / "out").mkdir(exist_ok=True)
            subprocess.run(
                [
                    chromium,
                    *flags,
                    "--window-size=1280,3000",
                    f"--screenshot={ROOT / 'out' / 'swagger.png'}",
                    docs,
                ],
                capture_output=True,
                timeout=120,
            )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    routes = template_routes()
    shown = {
        (method, path)
        for method, path in routes
        if f'data-path="{path}"' in dom.stdout and f"opblock-{method}" in dom.stdout
    }
    missing = sorted(routes - shown)
    print(f"Swagger UI at {docs} shows {len(shown)} of the template's {len(routes)} routes (out/swagger.png)")
    for method, path in missing:
        print(f"  missing: {method.upper()} {path}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
