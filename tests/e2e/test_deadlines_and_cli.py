"""Upload deadlines, cancel and the `bgr` CLI on the local runtime, over HTTP only."""

import re
import shutil
import threading
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import test_local_runtime as local
from test_local_runtime import BGR, SECRET, new_user, pay, serving, tokens

from bgr_cli import main as cli
from bgr_cli.client import upload

pytestmark = pytest.mark.slow
runtime, images = local.runtime, local.images  # the same fixtures (a runtime of this module's own)


def test_a_batch_abandoned_half_way_settles_within_a_minute_of_its_deadline(images, tmp_path):
    short = ("--parameter", "UploadExpirySeconds=10", "--parameter", "UploadGraceSeconds=2")
    with serving(tmp_path / "serve.log", SECRET, *short, BGR_LOCAL_SCHEDULE_INTERVAL="2") as runtime:
        _, user = new_user(runtime, credits=10)
        created = user.create_batch(images, "basic")
        forms = created["uploads"]
        deadline = datetime.fromisoformat(forms[0]["expiresAt"])
        assert timedelta(0) < deadline - datetime.now(UTC) <= timedelta(seconds=10)
        upload(forms[0], images[0])  # the second image never comes: the laptop was closed
        batch = user.wait_batch(created["batch"]["id"], timeout_s=90, on_poll=lambda _: None)
        assert datetime.now(UTC) - deadline < timedelta(minutes=1)
        assert (batch["status"], batch["processedImages"], batch["failedImages"]) == ("partial", 1, 1)
        assert batch["creditsRefunded"] == 3 and user.balance() == 10 - 6 + 3
        items = user.get(f"{BGR}/batch/{batch['id']}/items")["items"]
        assert [(i["status"], i["errorCode"]) for i in items] == [
            ("completed", None),
            ("failed", "UPLOAD_EXPIRED"),
        ]
        zip_path = tmp_path / "partial.zip"
        cli.download(batch["zipUrl"], zip_path)
        with zipfile.ZipFile(zip_path) as archive:
            assert sorted(n for n in archive.namelist() if n.endswith(".png")) == ["chelsea.png"]


def bgr(capsys, *args) -> tuple[object, str]:
    """Runs `bgr args`; its exit code (None: success) and what it printed."""
    code = None
    try:
        cli.main(list(args))
    except SystemExit as ended:
        code = ended.code
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_bgr_batch_resumes_after_an_interruption_and_lists_cancels_downloads(
    runtime, images, tmp_path, monkeypatch, capsys
):
    user_id, user = new_user(runtime, credits=30)
    monkeypatch.setenv("BGR_STATE_DIR", str(tmp_path / "state"))
    folder = tmp_path / "photos"
    folder.mkdir()
    for image in images:
        shutil.copy(image, folder)
    token = tokens.sign(user_id, (), secret=SECRET.encode())
    base = ("--base-url", runtime["api"], "--token", token)
    real_upload, sent, one_at_a_time = cli.upload, [], threading.Lock()

    def closed_laptop(form, path):  # uploads run in parallel: only the first one gets through
        with one_at_a_time:
            sent.append(path)
            if len(sent) > 1:
                raise KeyboardInterrupt
        real_upload(form, path)

    monkeypatch.setattr(cli, "upload", closed_laptop)
    code, out = bgr(capsys, *base, "batch", str(folder), "--tier", "basic")
    batch_id = re.search(r"--resume (\w+)", str(code)).group(1)
    monkeypatch.setattr(cli, "upload", real_upload)
    code, out = bgr(capsys, *base, "batch", "--resume", batch_id, str(folder), "-o", str(tmp_path / "a.zip"))
    assert code is None and "1 images left to upload" in out and "completed" in out, out
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert sorted(n for n in archive.namelist() if n.endswith(".png")) == ["chelsea.png", "coffee.png"]
    code, out = bgr(capsys, *base, "batches")
    assert code is None and batch_id in out
    code, out = bgr(capsys, *base, "download", batch_id, "-o", str(tmp_path / "b.zip"))
    assert code is None and (tmp_path / "b.zip").read_bytes() == (tmp_path / "a.zip").read_bytes()

    abandoned = user.create_batch(images, "basic")["batch"]["id"]  # nothing uploaded
    assert user.balance() == 30 - 6 - 6
    code, out = bgr(capsys, *base, "cancel", abandoned)
    assert code is None and "6 credits refunded" in out and "failed" in out, out
    code, out = bgr(capsys, *base, "cancel", abandoned)  # twice: nothing more
    assert user.balance() == 24
    stranger = tokens.sign("someone", (), secret=SECRET.encode())
    code, out = bgr(capsys, "--base-url", runtime["api"], "--token", stranger, "cancel", abandoned)
    assert str(code).startswith("bgr: not found (NOT_FOUND")


def test_bgr_subscribe_and_buy_print_the_checkout_url(runtime, capsys):
    user_id, user = new_user(runtime)
    base = ("--base-url", runtime["api"], "--token", tokens.sign(user_id, (), secret=SECRET.encode()))
    code, out = bgr(capsys, *base, "buy", "small")
    url = out.splitlines()[0]
    assert code is None and url.startswith("http://127.0.0.1:") and "/checkout/cs_" in url, out
    assert pay(url).status_code == 303 and user.balance() == 100
    code, out = bgr(capsys, *base, "subscribe", "starter")
    assert code is None and pay(out.splitlines()[0]).status_code == 303
    assert user.get(f"{BGR}/subscription")["subscription"]["status"] == "active"
    code, out = bgr(capsys, *base, "subscribe", "starter")  # already subscribed
    assert str(code).startswith("bgr: error 400"), code


def test_bgr_jobs_says_why_a_job_failed_and_that_it_was_refunded_and_cutout_fetches_one(
    runtime, images, tmp_path, capsys
):
    user_id, user = new_user(runtime, credits=10)
    base = ("--base-url", runtime["api"], "--token", tokens.sign(user_id, (), secret=SECRET.encode()))
    done = user.wait_job(user.remove(images[0], "basic")["id"])
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not a photo after all")
    failed = user.wait_job(user.remove(broken, "basic")["id"])
    assert failed["status"] == "failed" and failed["refundedAt"] and user.balance() == 7
    code, out = bgr(capsys, *base, "jobs")
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert code is None and "3 cr refunded" in lines[failed["id"]], out
    assert f"{failed['errorCode']}: {failed['errorMessage']}" in lines[failed["id"]]
    assert "3 cr " in lines[done["id"]] and "refunded" not in lines[done["id"]]
    code, out = bgr(capsys, *base, "cutout", done["id"], "-o", str(tmp_path / "one.png"))
    assert code is None and (tmp_path / "one.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out = bgr(capsys, *base, "cutout", failed["id"])
    assert "failed (3 cr refunded)" in str(code)
    expired = tokens.sign(user_id, (), secret=SECRET.encode(), ttl_s=-1)
    code, out = bgr(capsys, "--base-url", runtime["api"], "--token", expired, "jobs")
    assert str(code).startswith("bgr: your token has expired"), code
