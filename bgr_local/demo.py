"""`make demo`: sample images through the whole pipeline over HTTP and the S3 endpoint — credits
bought through the local checkout (Stripe's stand-in, its signed events to the webhook), a REST
upload, a batch with its ZIP, a drop-folder file, a drop that is not an image and one outside a tier
folder, a cancelled batch, and uploads abandoned until their deadline passes — with real inference
on a local runtime, then a summary of what ran and what it cost. Results go to out/."""

import json
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
import requests
from PIL import Image
from skimage import data

from bgr_cli.client import Client, download, image_spec, upload
from bgr_core.dispatch import tier_routing

from . import tokens
from .runtime import LocalRuntime
from .template import Template

SAMPLES = ("astronaut", "chelsea", "coffee")
# Upload forms valid for 20 s (plus 2 s of grace) so that the demo sees abandoned uploads refunded.
SHORT_DEADLINES = Template(parameters={"UploadExpirySeconds": "20", "UploadGraceSeconds": "2"})
USER, ADMIN = "demo-user", "demo-admin"
PACK = "medium"  # 500 credits


@dataclass
class Row:
    what: str
    tier: str
    status: str
    model: str | None
    credits: int
    pricing: str
    inference_s: float  # the job's processingTime
    total_s: float | None  # from the API call to the downloaded cutout
    output: str


def write_samples(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in SAMPLES:
        path = folder / f"{name}.jpg"
        Image.fromarray(getattr(data, name)()).convert("RGB").save(path, quality=92)
        paths.append(path)
    return paths


def buy(user: Client, pack: str) -> dict:
    """A credit pack as a payer buys it: the checkout, "Pay" on the local checkout's page (which
    delivers Stripe's signed events to the webhook before sending the payer back)."""
    checkout = user.post("/api/credits/checkout", {"pack": pack})["checkout"]
    paid = requests.post(f"{checkout['url']}/pay", allow_redirects=False, timeout=120)
    if paid.status_code != 303:
        raise RuntimeError(f"the local checkout refused the payment: {paid.status_code} {paid.text[:200]}")
    return checkout


def single(user: Client, image: Path, tier: str, out: Path) -> Row:
    started = time.monotonic()
    job = user.wait_job(user.remove(image, tier)["id"])
    dest = download(job["resultUrl"], out / f"{image.stem}-cutout.png")
    return _job_row("REST upload", job, time.monotonic() - started, str(dest))


def batch(user: Client, images: list[Path], tier: str, out: Path) -> tuple[dict, list[Row], Path, float]:
    started = time.monotonic()
    created = user.create_batch(images, tier)
    for item, image in zip(created["uploads"], images, strict=True):
        upload(item, image)
    done = user.wait_batch(created["batch"]["id"], on_poll=lambda _: None)
    seconds = time.monotonic() - started
    zip_path = download(done["zipUrl"], out / f"batch-{done['id']}.zip")
    items = user.get(f"/api/background-remover/batch/{done['id']}/items")["items"]
    rows = [
        Row(
            f"batch #{i['itemIndex']} {i['filename']}",
            tier,
            i["status"],
            i.get("modelName"),
            i["creditsUsed"],
            i["pricingType"],
            (i.get("processingTime") or 0) / 1000,
            None,
            "in the ZIP",
        )
        for i in items
    ]
    return done, rows, zip_path, seconds


def drop(user: Client, bucket: str, key: str, body: bytes, out: Path) -> Row:
    """Puts `body` under drop/ through the S3 endpoint, as `aws s3 cp` would, and follows the job."""
    started = time.monotonic()
    seen = {j["id"] for j in user.jobs()}
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
    while not (new := [j for j in user.jobs() if j["id"] not in seen]):
        if time.monotonic() - started > 120:
            raise TimeoutError(f"no job for s3://{bucket}/{key} after 120 s")
        time.sleep(0.5)
    job = user.wait_job(new[0]["id"])
    output = "-"
    if job["status"] == "completed":
        output = str(download(job["resultUrl"], out / f"{Path(key).stem}-drop-cutout.png"))
    return _job_row("drop folder", job, time.monotonic() - started, output)


def abandoned(user: Client, images: list[Path], tier: str) -> list[Row]:
    """A job whose upload never comes and a 2-image batch with one upload: the deadline sweeper
    fails what never came (UPLOAD_EXPIRED) and refunds it; the batch ends partial with a ZIP."""
    started = time.monotonic()
    job = user.post("/api/background-remover/remove", {"tier": tier, **image_spec(images[0])})["job"]
    created = user.create_batch(images[:2], tier)
    upload(created["uploads"][0], images[0])
    print(f"abandoned uploads: their forms expire at {created['uploads'][0]['expiresAt']}; waiting…")
    job = user.wait_job(job["id"])
    done = user.wait_batch(created["batch"]["id"], on_poll=lambda _: None)
    rows = [_job_row("upload never came", job, time.monotonic() - started, "-")]
    return rows + _item_rows(user, done, tier, "abandoned batch")


def cancelled(user: Client, images: list[Path], tier: str) -> list[Row]:
    """A batch cancelled before any image arrived: every item refunded."""
    created = user.create_batch(images[:2], tier)
    done = user.cancel_batch(created["batch"]["id"])
    return _item_rows(user, done, tier, "cancelled batch")


def _item_rows(user: Client, done: dict, tier: str, what: str) -> list[Row]:
    return [
        Row(
            f"{what} #{i['itemIndex']}",
            tier,
            i["status"] if i["status"] == "completed" else f"{i['status']}: {i['errorCode']}",
            i.get("modelName"),
            i["creditsUsed"],
            i["pricingType"],
            (i.get("processingTime") or 0) / 1000,
            None,
            "in the ZIP" if i["status"] == "completed" else "refunded",
        )
        for i in user.batch_items(done["id"])
    ]


def _job_row(what: str, job: dict, seconds: float, output: str) -> Row:
    status = job["status"] if job["status"] == "completed" else f"{job['status']}: {job.get('errorCode')}"
    return Row(
        what,
        job["tier"],
        status,
        job.get("modelName"),
        job["creditsUsed"],
        job["pricingType"],
        (job.get("processingTime") or 0) / 1000,
        seconds,
        output,
    )


def run(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    images = write_samples(out / "samples")
    print("Starting the local runtime (moto for AWS, the template's resources, the real handlers)…")
    with LocalRuntime(api_port=0, s3_port=0, log_level="WARNING", template=SHORT_DEADLINES) as runtime:
        secret = tokens.local_secret()
        admin = Client(runtime.api.url, tokens.sign(ADMIN, ("admin",), secret=secret))
        user = Client(runtime.api.url, tokens.sign(USER, secret=secret))
        print(f"  API {runtime.api.url}   S3 {runtime.stack.url}   bucket {runtime.stack.bucket}\n")

        health = admin.get("/api/admin/health")  # public /health answers the status alone
        print(f"health: {health['status']}; tier models: {_models(health['models'])}")
        sub = user.get("/api/background-remover/subscription")["subscription"]
        print(
            f"new user {USER}: balance {user.balance()}, subscription {json.dumps(sub)}, jobs {user.jobs()}"
        )
        checkout = buy(user, PACK)
        print(f"bought the {PACK} pack at the local checkout ({checkout['id']}) -> balance {user.balance()}")
        started = time.monotonic()
        rows = [single(user, images[0], "standard", out)]
        done, batch_rows, zip_path, batch_s = batch(user, images, "professional", out)
        rows += batch_rows
        bucket = runtime.stack.bucket
        rows.append(drop(user, bucket, f"drop/{USER}/basic/{images[2].name}", images[2].read_bytes(), out))
        rows.append(drop(user, bucket, f"drop/{USER}/basic/not-a-photo.jpg", b"plain text, not a JPEG", out))
        rows.append(drop(user, bucket, f"drop/{USER}/no-tier-folder.jpg", images[2].read_bytes(), out))
        rows += cancelled(user, images, "basic")
        rows += abandoned(user, images, "basic")
        total_s = time.monotonic() - started
        ledger = admin.get(f"/api/admin/users/{USER}/credits")
        stats = user.get("/api/background-remover/stats")["stats"]

    _summary(rows, done, zip_path, batch_s, ledger, stats, total_s)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def _models(models: dict) -> str:
    return ", ".join(
        f"{tier} {m['model']}" + ("" if m["provisioned"] else f" (not provisioned here: {m['runs']} runs)")
        for tier, m in models.items()
    )


def _summary(rows, batch_done, zip_path, batch_s, ledger, stats, total_s) -> None:
    header = ("what", "tier", "status", "model", "credits", "paid by", "model", "end-to-end")
    print("\n{:<28} {:<13} {:<22} {:<10} {:>7}  {:<12} {:>6} {:>10}  output".format(*header))
    started: set[str] = set()  # inference functions (routing: light, matting) seen cutting out
    for r in rows:
        first = " "
        if r.model is not None and tier_routing.tier_class(r.tier) not in started:
            started.add(tier_routing.tier_class(r.tier))
            first = "*"
        print(
            f"{r.what:<28} {r.tier:<13} {r.status:<22} {r.model or '-':<10} {r.credits:>7}  "
            f"{r.pricing:<12} {r.inference_s:>5.1f}s{first}{_seconds(r.total_s):>10}  {r.output}"
        )
    print(
        "* the first cutout of its inference function (light: basic, standard; matting: professional, "
        "industry), on a fresh instance: its time includes a one-time cost, starting the instance and "
        "loading the model into onnxruntime (a batch's items that run at once may each start one); "
        "later cutouts on a warm instance reuse it, and no tier compiles anything at run time"
    )
    b = batch_done
    print(
        f"\nbatch {b['id']}: {b['status']}, {b['totalImages']} images, {b['originalPrice']} credits "
        f"- {b['discountPercentage']}% = {b['finalPrice']}; ZIP {zip_path} "
        f"({zip_path.stat().st_size // 1024} KiB), {batch_s:.1f} s from upload to ZIP"
    )
    charged = -sum(e["delta"] for e in ledger["entries"] if e["delta"] < 0)
    bought = sum(e["delta"] for e in ledger["entries"] if e["reason"] == "pack_purchase")
    refunded = sum(e["delta"] for e in ledger["entries"] if e["reason"] in ("refund", "settlement"))
    print(f"\ncredits: bought {bought}, charged {charged}, refunded {refunded}, balance {ledger['balance']}")
    for e in sorted(ledger["entries"], key=lambda e: e["seq"]):
        print(
            f"  #{e['seq']:<3} {e['delta']:>+5}  {e['reason']:<12} {e['reference']:<34} > {e['balanceAfter']}"
        )
    print(f"stats: {json.dumps(stats)}")
    print(f"\nall of it in {total_s:.1f} s; cutouts and the ZIP are in {zip_path.parent}/")
