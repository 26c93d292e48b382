"""bgr remove | batch | cancel | batches | download | quote | credits | jobs | cutout | subscribe | buy —
the API from a terminal."""

import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path

import requests

from . import progress
from .client import ApiError, Client, download, upload
from .state import BatchState
from .statuses import JOB_FINAL

# The service owns the tier names: an unknown one is answered with a 422 that lists them.
TIER_HELP = "quality tier: basic (default), standard, professional or industry"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
# Presigned POSTs sent at once: a batch's uploads overlap their round trips, as a browser's do.
UPLOADS = 4


def remove(client: Client, args) -> None:
    job = client.remove(args.image, args.tier)
    print(f"job {job['id']}: {job['tier']}, {job['creditsUsed']} credits ({job['pricingType']}); processing…")
    job = client.wait_job(job["id"], args.timeout)
    if job["status"] != "completed":
        raise SystemExit(f"job {job['id']} failed: {job.get('errorMessage') or job.get('errorCode')}")
    out = args.output or args.image.with_name(f"{args.image.stem}-cutout.png")
    download(job["resultUrl"], out)
    print(f"{out}  ({job['modelName']}, {job['processingTime']} ms)")


def _images(folder: Path) -> list[Path]:
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise SystemExit(f"no .jpg, .png or .webp images in {folder}")
    return paths


def batch(client: Client, args) -> None:
    if args.resume:
        state, indexes = _resumed(client, args.resume)
    else:
        paths = _images(args.folder)
        created = client.create_batch(paths, args.tier)
        b = created["batch"]
        print(
            f"batch {b['id']}: {b['totalImages']} × {b['tier']}, {b['originalPrice']} credits "
            f"- {b['discountPercentage']}% = {b['finalPrice']}"
        )
        state = BatchState(b["id"], [p.name for p in paths], created["uploads"])
        state.save()
        indexes = [u["itemIndex"] for u in created["uploads"]]
    forms = {u["itemIndex"]: u for u in state.uploads}
    sending = {}
    with ThreadPoolExecutor(UPLOADS, thread_name_prefix="upload") as pool:
        try:
            sending = {pool.submit(upload, forms[i], args.folder / state.files[i]): i for i in indexes}
            for done, sent in enumerate(as_completed(sending), 1):
                sent.result()
                state.sent(sending[sent])  # here only, in one thread: one writer of the state file
                progress.show("upload ", done, len(indexes))
        except KeyboardInterrupt:
            pool.shutdown(cancel_futures=True)  # the uploads under way end and are remembered
            for future, index in sending.items():
                if index not in state.uploaded and not future.cancelled() and future.exception() is None:
                    state.sent(index)
            progress.end()
            until, batch_id = state.uploads[0].get("expiresAt", "its upload deadline"), state.batch_id
            raise SystemExit(
                f"interrupted: `bgr batch --resume {batch_id} {args.folder}` uploads the rest until {until}; "
                f"images not uploaded by then are refunded (`bgr cancel {batch_id}` refunds them now)"
            ) from None
    progress.end()
    out = args.output or Path(f"{args.folder.name or 'batch'}-{state.batch_id}.zip")
    _finish(client, state.batch_id, args.timeout, out)


def _resumed(client: Client, batch_id: str) -> tuple[BatchState, list[int]]:
    """The items still waiting for an image this machine has not sent, while their forms are valid."""
    state = BatchState.load(batch_id)
    expires = {u["itemIndex"]: datetime.fromisoformat(u["expiresAt"]) for u in state.uploads}
    pending = [i["itemIndex"] for i in client.batch_items(batch_id) if i["status"] == "pending"]
    waiting = [i for i in pending if i not in state.uploaded]
    now = datetime.now(UTC)
    valid = [i for i in waiting if expires[i] > now]
    if len(valid) < len(waiting):
        print(f"{len(waiting) - len(valid)} upload forms expired: those images are refunded")
    print(f"batch {batch_id}: {len(valid)} images left to upload")
    return state, valid


def _finish(client: Client, batch_id: str, timeout: float, out: Path) -> None:
    def on_poll(current: dict) -> None:
        settled = current["processedImages"] + current["failedImages"]
        zipping = "zipping" if current.get("zipStatus") == "building" else ""
        progress.show("process", settled, current["totalImages"], zipping)

    try:
        b = client.wait_batch(batch_id, timeout, on_poll)
    except KeyboardInterrupt:
        progress.end()
        raise SystemExit(
            f"stopped waiting; the batch goes on: `bgr download {batch_id}` once it is done"
        ) from None
    progress.end()
    print(f"batch {b['id']}: {b['status']}, {b['processedImages']} done, {b['failedImages']} failed")
    _download_zip(b, out)


def _download_zip(b: dict, out: Path) -> None:
    if not b.get("zipUrl"):
        raise SystemExit(
            f"batch {b['id']} has no ZIP (status {b['status']}, zip status: {b.get('zipStatus')})"
        )
    print(download(b["zipUrl"], out))


def cancel(client: Client, args) -> None:
    b = client.cancel_batch(args.batch_id)
    print(
        f"batch {b['id']} cancelled: {b['status']}, {b['processedImages']} done, {b['failedImages']} failed,"
        f" {b['creditsRefunded']} credits refunded"
    )


def batches(client: Client, args) -> None:
    listed = client.batches()
    if not listed:
        print("no batches yet")
    for b in listed:
        settled = b["processedImages"] + b["failedImages"]
        print(
            f"{b['id']}  {b['createdAt'][:19]}  {b['status']:<10} {b['tier']:<12} "
            f"{settled:>3}/{b['totalImages']:<3} {b['finalPrice']:>5} cr  zip: {b.get('zipStatus') or '-'}"
        )


def download_batch(client: Client, args) -> None:
    _download_zip(client.batch(args.batch_id), args.output or Path(f"batch-{args.batch_id}.zip"))


def quote(client: Client, args) -> None:
    q = client.quote(args.tier, args.count)
    print(
        f"{q['imageCount']} × {q['tier']} at {q['creditsPerImage']} credits: {q['originalPrice']}"
        f" - {q['discountPercentage']}% ({q['discount']}) = {q['finalPrice']} credits;"
        f" covered by subscription: {q['coveredBySubscription']}, to charge: {q['creditsToCharge']}"
    )


def credits(client: Client, args) -> None:
    print(f"{client.balance()} credits")


def _checkout(checkout: dict, what: str) -> None:
    print(checkout["url"])
    print(
        f"open it to pay for {what} (valid until {checkout['expiresAt']}); it arrives once the payment"
        " provider confirms the payment: `bgr credits` / the web app's Account page show it",
        file=sys.stderr,
    )


def subscribe(client: Client, args) -> None:
    _checkout(client.post("/api/background-remover/subscription", {"plan": args.plan})["checkout"], args.plan)


def buy(client: Client, args) -> None:
    _checkout(client.post("/api/credits/checkout", {"pack": args.pack})["checkout"], f"the {args.pack} pack")


def _paid(job: dict) -> str:
    """What the job cost: its credits (or the plan's quota), refunded when it failed."""
    paid = "quota" if job["pricingType"] == "subscription" else f"{job['creditsUsed']} cr"
    if job.get("refundedAt"):
        return f"{paid} refunded"
    return "not charged" if job["status"] == "failed" else paid


def jobs(client: Client, args) -> None:
    listed = client.jobs()
    if not listed:
        print("no jobs yet")
    for j in listed:
        line = f"{j['id']}  {j['createdAt'][:19]}  {j['status']:<10} {j['tier']:<12} {_paid(j):<16}"
        if j["status"] == "failed":
            line += f" {j.get('errorCode')}: {j.get('errorMessage')}"
        else:
            line += f" {j.get('modelName') or '-'}"
        print(line.rstrip())


def cutout(client: Client, args) -> None:
    """One job's cutout, downloaded (waiting for it when it is still running)."""
    job = client.job(args.job_id)
    if job["status"] not in JOB_FINAL:
        job = client.wait_job(job["id"], args.timeout)
    if job["status"] != "completed":
        raise SystemExit(
            f"job {job['id']} failed ({_paid(job)}): {job.get('errorCode')}: {job.get('errorMessage')}"
        )
    out = args.output or Path(f"{Path(job['filename'] or job['id']).stem}-cutout.{job['options']['format']}")
    print(download(job["resultUrl"], out))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bgr", description=__doc__)
    p.add_argument("--base-url", default=os.environ.get("BGR_BASE_URL", "http://127.0.0.1:3000"))
    p.add_argument("--token", default=os.environ.get("BGR_TOKEN"), help="bearer token (env BGR_TOKEN)")
    commands = p.add_subparsers(dest="command", required=True)
    c = commands.add_parser("remove", help="one image -> a transparent PNG")
    c.add_argument("image", type=Path)
    c.add_argument("--tier", default="basic", help=TIER_HELP)
    c.add_argument("-o", "--output", type=Path)
    c.add_argument("--timeout", type=float, default=300, help="seconds to wait for the result")
    c.set_defaults(run=remove)
    c = commands.add_parser("batch", help="a folder of images -> one ZIP")
    c.add_argument("folder", type=Path)
    c.add_argument("--tier", default="basic", help=TIER_HELP)
    c.add_argument("--resume", metavar="BATCH_ID", help="upload what an interrupted run left, then wait")
    c.add_argument("-o", "--output", type=Path)
    c.add_argument("--timeout", type=float, default=3600)
    c.set_defaults(run=batch)
    c = commands.add_parser("cancel", help="cancel a batch: images not started are refunded")
    c.add_argument("batch_id")
    c.set_defaults(run=cancel)
    commands.add_parser("batches", help="your batches, newest first").set_defaults(run=batches)
    c = commands.add_parser("download", help="a finished batch's ZIP")
    c.add_argument("batch_id")
    c.add_argument("-o", "--output", type=Path)
    c.set_defaults(run=download_batch)
    c = commands.add_parser("quote", help="the price of a batch")
    c.add_argument("--tier", required=True, help=TIER_HELP)
    c.add_argument("--count", type=int, required=True)
    c.set_defaults(run=quote)
    commands.add_parser("credits", help="your credit balance").set_defaults(run=credits)
    c = commands.add_parser("subscribe", help="print the checkout URL that subscribes you to a plan")
    c.add_argument("plan", help="starter or pro (GET /pricing lists them)")
    c.set_defaults(run=subscribe)
    c = commands.add_parser("buy", help="print the checkout URL of a credit pack")
    c.add_argument("pack", help="a credit pack's name (GET /pricing lists them: small, medium, ...)")
    c.set_defaults(run=buy)
    commands.add_parser("jobs", help="your single-image jobs, newest first").set_defaults(run=jobs)
    c = commands.add_parser("cutout", help="one job's cutout (from `bgr jobs`)")
    c.add_argument("job_id")
    c.add_argument("-o", "--output", type=Path)
    c.add_argument("--timeout", type=float, default=300, help="seconds to wait for a job still running")
    c.set_defaults(run=cutout)
    return p


def explain(err: ApiError) -> str:
    hints = {
        401: (
            "your token has expired: get a new one (locally: make token USER=<you>)"
            if "expired" in err.message.lower()
            else "not signed in: pass --token or set BGR_TOKEN (locally: make token USER=<you>)"
        ),
        402: "not enough credits",
        413: "too large",
        404: "not found",
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
