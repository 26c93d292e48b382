"""bgr remove | batch | quote | credits | jobs — the API from a terminal."""

import argparse
import os
import sys
from pathlib import Path

import requests

from . import progress
from .client import ApiError, Client, download, upload

TIERS = ("basic", "standard", "professional", "industry")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def remove(client: Client, args) -> None:
    job = client.remove(args.image, args.tier)
    print(f"job {job['id']}: {job['tier']}, {job['creditsUsed']} credits ({job['pricingType']}); processing…")
    job = client.wait_job(job["id"], args.timeout)
    if job["status"] != "completed":
        raise SystemExit(f"job {job['id']} failed: {job.get('errorMessage') or job.get('errorCode')}")
    out = args.output or args.image.with_name(f"{args.image.stem}-cutout.png")
    download(job["resultUrl"], out)
    print(f"{out}  ({job['modelName']}, {job['processingTime']} ms)")


def batch(client: Client, args) -> None:
    paths = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise SystemExit(f"no .jpg, .png or .webp images in {args.folder}")
    created = client.create_batch(paths, args.tier)
    b = created["batch"]
    print(
        f"batch {b['id']}: {b['totalImages']} × {b['tier']}, {b['originalPrice']} credits "
        f"- {b['discountPercentage']}% = {b['finalPrice']}"
    )
    by_index = {u["itemIndex"]: u for u in created["uploads"]}
    for done, (index, path) in enumerate(enumerate(paths), 1):
        upload(by_index[index], path)
        progress.show("upload ", done, len(paths))
    progress.end()

    def on_poll(current: dict) -> None:
        settled = current["processedImages"] + current["failedImages"]
        zipping = "zipping" if current.get("zipStatus") == "building" else ""
        progress.show("process", settled, current["totalImages"], zipping)

    b = client.wait_batch(b["id"], args.timeout, on_poll)
    progress.end()
    print(f"batch {b['id']}: {b['status']}, {b['processedImages']} done, {b['failedImages']} failed")
    if not b.get("zipUrl"):
        raise SystemExit(f"no ZIP (zip status: {b.get('zipStatus')})")
    out = args.output or Path(f"{args.folder.name or 'batch'}-{b['id']}.zip")
    print(download(b["zipUrl"], out))


def quote(client: Client, args) -> None:
    q = client.quote(args.tier, args.count)
    print(
        f"{q['imageCount']} × {q['tier']} at {q['creditsPerImage']} credits: {q['originalPrice']}"
        f" - {q['discountPercentage']}% ({q['discount']}) = {q['finalPrice']} credits;"
        f" covered by subscription: {q['coveredBySubscription']}, to charge: {q['creditsToCharge']}"
    )


def credits(client: Client, args) -> None:
    print(f"{client.balance()} credits")


def jobs(client: Client, args) -> None:
    listed = client.jobs()
    if not listed:
        print("no jobs yet")
    for j in listed:
        print(
            f"{j['id']}  {j['createdAt'][:19]}  {j['status']:<10} {j['tier']:<12} "
            f"{j['creditsUsed']:>3} cr  {j.get('modelName') or '-'}"
        )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bgr", description=__doc__)
    p.add_argument("--base-url", default=os.environ.get("BGR_BASE_URL", "http://127.0.0.1:3000"))
    p.add_argument("--token", default=os.environ.get("BGR_TOKEN"), help="bearer token (env BGR_TOKEN)")
    commands = p.add_subparsers(dest="command", required=True)
    c = commands.add_parser("remove", help="one image -> a transparent PNG")
    c.add_argument("image", type=Path)
    c.add_argument("--tier", choices=TIERS, default="basic")
    c.add_argument("-o", "--output", type=Path)
    c.add_argument("--timeout", type=float, default=300, help="seconds to wait for the result")
    c.set_defaults(run=remove)
    c = commands.add_parser("batch", help="a folder of images -> one ZIP")
    c.add_argument("folder", type=Path)
    c.add_argument("--tier", choices=TIERS, default="basic")
    c.add_argument("-o", "--output", type=Path)
    c.add_argument("--timeout", type=float, default=3600)
    c.set_defaults(run=batch)
    c = commands.add_parser("quote", help="the price of a batch")
    c.add_argument("--tier", choices=TIERS, required=True)
    c.add_argument("--count", type=int, required=True)
    c.set_defaults(run=quote)
    commands.add_parser("credits", help="your credit balance").set_defaults(run=credits)
    commands.add_parser("jobs", help="your single-image jobs, newest first").set_defaults(run=jobs)
    return p


def explain(err: ApiError) -> str:
    hints = {
        401: "not signed in: pass --token or set BGR_TOKEN (locally: make token USER=<you>)",
        402: "not enough credits",
        413: "too large",
        422: "invalid input",
        429: "rate limited" + (f": try again in {err.retry_after} s" if err.retry_after else ""),
    }
    return f"{hints.get(err.status, f'error {err.status}')} ({err.code}: {err.message})"


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.run(Client(args.base_url, args.token), args)
    except ApiError as err:
        sys.exit(f"bgr: {explain(err)}")
    except requests.ConnectionError:
        sys.exit(f"bgr: cannot reach {args.base_url} (is `make serve` running?)")
    except (TimeoutError, OSError) as err:
        sys.exit(f"bgr: {err}")
    except KeyboardInterrupt:
        sys.exit(130)
