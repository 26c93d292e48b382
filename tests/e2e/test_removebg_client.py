"""remove.bg's API v1.0 through `python -m bgr_local serve`, driven by PUBLISHED remove.bg clients,
unmodified but for their base URL: PyPI `removebg` 0.04 (file, base64, URL; image bytes back) and
npm `remove.bg` 1.3.0 (JSON answers and the headers it reads; tests/e2e/removebg_npm); and, for
the rest, by plain HTTP as remove.bg's documentation shows it."""

import base64
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile

import numpy as np
import pytest
import removebg.removebg as removebg_module
import requests
from e2e.test_local_runtime import SECRET, serving
from PIL import Image
from removebg import RemoveBg
from skimage import data

from bgr_local import tokens
from harness import ROOT
from http_stub import QuietHandler, base_url, http_server

pytestmark = pytest.mark.slow


LOOPBACK = (
    "--parameter",
    'OutboundAllowNetworks=["127.0.0.0/8"]',
    "--parameter",
    'OutboundAllowPorts=["1024-65535"]',
)


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    # image_url fetches refuse loopback unless allowed explicitly: the image server below is local
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with serving(log, SECRET, *LOOPBACK) as urls:
        yield urls


@pytest.fixture(scope="module")
def photo() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(data.chelsea()).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


YELLOW = (250, 230, 0)
B64_JPEG = base64.b64encode(b"\xff\xd8\xff\xe0 not much of a JPEG").decode()


def yellow_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), YELLOW).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def image_server(photo):
    class Handler(QuietHandler):
        def do_GET(self):
            if self.path == "/moved":
                self.answer(302, headers={"Location": "/chelsea.jpg"})
            elif self.path == "/yellow.png":
                self.answer(200, yellow_png(), {"Content-Type": "image/png"})
            else:
                self.answer(200, photo, {"Content-Type": "image/jpeg"})

    with http_server(Handler) as server:
        yield base_url(server)


def bearer(user_id: str, admin: bool = False) -> dict:
    token = tokens.sign(user_id, ("admin",) if admin else (), secret=SECRET.encode())
    return {"Authorization": f"Bearer {token}"}


def new_key(runtime, credits: int, test: bool = False) -> tuple[str, str]:
    """A new user with `credits`, and an API key created through the API (shown once)."""
    user_id = f"rbg-{uuid.uuid4().hex[:8]}"
    api = runtime["api"]
    if credits:
        grant = {"amount": credits, "reason": "e2e"}
        admin = bearer("e2e-admin", admin=True)
        requests.post(f"{api}/api/admin/users/{user_id}/credits", json=grant, headers=admin, timeout=30)
    body = {"name": "e2e", "test": test}
    created = requests.post(f"{api}/api/keys", json=body, headers=bearer(user_id), timeout=30)
    assert created.status_code == 201, created.text
    return user_id, created.json()["key"]


def balance(runtime, user_id: str) -> int:
    reply = requests.get(f"{runtime['api']}/api/credits/balance", headers=bearer(user_id), timeout=30)
    return reply.json()["balance"]


@pytest.fixture
def client(runtime, monkeypatch, tmp_path):
    """The published client, pointed at the local runtime: its one module-level base URL."""
    monkeypatch.setattr(removebg_module, "API_ENDPOINT", f"{runtime['api']}/v1.0/removebg")
    monkeypatch.chdir(tmp_path)
    return lambda key: RemoveBg(key, str(tmp_path / "removebg-errors.log"))


def assert_cutout(path, max_pixels: int) -> None:
    image = Image.open(path)
    assert image.format == "PNG" and image.mode == "RGBA"
    assert image.width * image.height <= max_pixels
    low, high = image.getchannel("A").getextrema()
    assert low == 0 and high == 255


def test_the_published_client_sends_a_file_base64_and_a_url(runtime, client, photo, image_server, tmp_path):
    user_id, key = new_key(runtime, credits=10)
    remover = client(key)
    source = tmp_path / "chelsea.jpg"
    source.write_bytes(photo)

    remover.remove_background_from_img_file(str(source))  # size "regular": a preview
    remover.remove_background_from_base64_img(base64.b64encode(photo).decode(), new_file_name="b64.png")
    remover.remove_background_from_img_url(f"{image_server}/moved", new_file_name="url.png")

    for output in (f"{source}_no_bg.png", "b64.png", "url.png"):
        assert_cutout(tmp_path / output, max_pixels=250_000)
    assert balance(runtime, user_id) == 10 - 3 * 1  # basic is 3 credits; a preview, a quarter: 1


def test_the_published_client_raises_on_a_bad_key_a_non_image_and_an_empty_balance(runtime, client, tmp_path):
    user_id, key = new_key(runtime, credits=2)
    not_an_image = tmp_path / "notes.jpg"
    not_an_image.write_text("not an image at all")
    with pytest.raises(requests.HTTPError) as refused:
        client("bgr_not-a-key").remove_background_from_img_file(str(not_an_image))
    assert refused.value.response.status_code == 403
    assert refused.value.response.json()["errors"][0]["code"] == "auth_failed"

    with pytest.raises(requests.HTTPError) as refused:
        client(key).remove_background_from_img_file(str(not_an_image))
    assert refused.value.response.status_code == 400
    assert refused.value.response.json()["errors"][0]["code"] == "invalid_image"
    assert balance(runtime, user_id) == 2  # never charged

    _, broke = new_key(runtime, credits=0)
    with pytest.raises(requests.HTTPError) as refused:
        client(broke).remove_background_from_base64_img(base64.b64encode(b"\xff\xd8\xff").decode())
    assert refused.value.response.status_code == 402
    error = refused.value.response.json()["errors"][0]
    assert error["code"] == "insufficient_credits" and error["title"]


def test_json_answers_headers_options_and_the_account(runtime, photo):
    user_id, key = new_key(runtime, credits=20)
    reply = requests.post(
        f"{runtime['api']}/v1.0/removebg",
        headers={"X-Api-Key": key, "Accept": "application/json"},
        json={
            "image_file_b64": base64.b64encode(photo).decode(),
            "size": "full",
            "type": "animal",
            "format": "webp",
            "crop": True,
            "crop_margin": "10px",
        },
        timeout=120,
    )
    assert reply.status_code == 200, reply.text
    result = reply.json()["data"]
    image = Image.open(io.BytesIO(base64.b64decode(result["result_b64"])))
    assert image.format == "WEBP" and image.mode == "RGBA"
    headers = reply.headers
    assert headers["X-Credits-Charged"] == "3" and headers["X-Type"] == "animal"
    assert (int(headers["X-Width"]), int(headers["X-Height"])) == image.size
    # cropped with a 10 px margin: the subject starts 10 px in (or at the edge it touches)
    assert result["foreground_left"] == int(headers["X-Foreground-Left"]) <= 10
    assert result["foreground_width"] == int(headers["X-Foreground-Width"]) <= image.width
    assert int(headers["X-RateLimit-Remaining"]) < int(headers["X-RateLimit-Limit"])
    assert int(headers["X-RateLimit-Reset"]) > 0

    flat = requests.post(
        f"{runtime['api']}/v1.0/removebg",
        headers={"X-Api-Key": key},
        files={"image_file": ("chelsea.jpg", photo, "image/jpeg")},
        data={"size": "preview", "bg_color": "green"},
        timeout=120,
    )
    assert flat.status_code == 200 and flat.headers["Content-Type"] == "image/jpeg"  # format auto
    assert Image.open(io.BytesIO(flat.content)).getpixel((0, 0))[1] > 100  # on green

    account = requests.get(f"{runtime['api']}/v1.0/account", headers={"X-Api-Key": key}, timeout=30)
    assert account.json()["data"]["attributes"]["credits"]["total"] == 20 - 3 - 1
    assert balance(runtime, user_id) == 16


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("size", "huge", "invalid_parameter"),
        ("format", "tiff", "invalid_parameter"),
        ("bg_color", "not-a-colour", "invalid_parameter"),
        ("roi", "10% 10% 90%", "invalid_parameter"),
        ("shadow_type", "3D", "unsupported_parameter"),
        ("bg_image_url", "http://10.1.2.3/bg.jpg", "invalid_image_url"),
        ("image_url", "http://10.1.2.3/private.jpg", "invalid_image_url"),
        ("image_url", "file:///etc/passwd", "invalid_image_url"),
    ],
)
def test_bad_values_get_remove_bg_400s_and_cost_nothing(runtime, photo, field, value, code):
    user_id, key = new_key(runtime, credits=5)
    fields = {field: value} if field == "image_url" else {field: value, "image_file_b64": B64_JPEG}
    url, headers = f"{runtime['api']}/v1.0/removebg", {"X-Api-Key": key}
    reply = requests.post(url, headers=headers, data=fields, timeout=60)
    assert reply.status_code == 400 and reply.json()["errors"][0]["code"] == code, reply.text
    assert balance(runtime, user_id) == 5


def test_keys_are_listed_without_the_key_revoked_and_made_by_make_apikey(runtime, photo):
    api = runtime["api"]
    user_id, key = new_key(runtime, credits=3)
    listed = requests.get(f"{api}/api/keys", headers=bearer(user_id), timeout=30).json()["apiKeys"]
    assert len(listed) == 1 and key.startswith(listed[0]["prefix"]) and key not in json.dumps(listed)
    assert requests.get(f"{api}/v1.0/account", headers={"X-Api-Key": key}, timeout=30).status_code == 200
    used = requests.get(f"{api}/api/keys", headers=bearer(user_id), timeout=30).json()["apiKeys"][0]
    assert used["lastUsedAt"]

    revoked = requests.delete(f"{api}/api/keys/{listed[0]['id']}", headers=bearer(user_id), timeout=30)
    assert revoked.status_code == 204
    assert requests.get(f"{api}/v1.0/account", headers={"X-Api-Key": key}, timeout=30).status_code == 403
    assert requests.get(f"{api}/v1.0/account", timeout=30).status_code == 401  # no key at all

    made = subprocess.run(
        [sys.executable, "-m", "bgr_local", "apikey", user_id, "--endpoint-url", runtime["s3"]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.strip()
    account = requests.get(f"{api}/v1.0/account", headers={"X-Api-Key": made}, timeout=30)
    assert account.status_code == 200 and account.json()["data"]["attributes"]["credits"]["total"] == 3


def npm_client(runtime, mode: str, key: str, source: str, **options) -> dict:
    """The npm client's result (base64img as its length, unless `keep_image`) or its rejection
    ({ok: false, errors}); `options`: the client's own options (scale, position, bg_image_url, ...)."""
    folder = ROOT / "tests" / "e2e" / "removebg_npm"
    ran = subprocess.run(
        ["node", "drive.js", mode, key, source],
        cwd=folder,
        env={**os.environ, "BASE_URL": runtime["api"], "OPTIONS": json.dumps(options)},
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return json.loads(ran.stdout)


def test_the_published_npm_client_gets_json_answers_with_the_headers(runtime, photo, image_server, tmp_path):
    user_id, key = new_key(runtime, credits=10)
    source = tmp_path / "chelsea.jpg"
    source.write_bytes(photo)
    for mode, given in (
        ("file", str(source)),
        ("base64", base64.b64encode(photo).decode()),
        ("url", f"{image_server}/chelsea.jpg"),
    ):
        result = npm_client(runtime, mode, key, given)
        assert result["ok"] and result["base64img"] > 1000, (mode, result)
        assert result["creditsCharged"] == "1" and result["detectedType"] == "product"
        assert int(result["resultWidth"]) * int(result["resultHeight"]) <= 250_000
        assert int(result["rateLimitRemaining"]) < int(result["rateLimit"])
    assert balance(runtime, user_id) == 10 - 3

    refused = npm_client(runtime, "base64", "bgr_not-a-key", base64.b64encode(photo).decode())
    assert not refused["ok"] and refused["errors"][0]["code"] == "auth_failed"
    _, broke = new_key(runtime, credits=0)
    refused = npm_client(runtime, "base64", broke, base64.b64encode(photo).decode())
    assert refused["errors"][0]["code"] == "insufficient_credits"
    refused = npm_client(runtime, "base64", key, base64.b64encode(b"no image").decode())
    assert refused["errors"][0]["code"] == "invalid_image"


def removal(runtime, key: str, photo: bytes, **fields) -> requests.Response:
    return requests.post(
        f"{runtime['api']}/v1.0/removebg",
        headers={"X-Api-Key": key},
        files={"image_file": ("chelsea.jpg", photo, "image/jpeg")},
        data=fields,
        timeout=120,
    )


def opaque_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    return image.getchannel("A").point(lambda v: 255 if v >= 8 else 0).getbbox()


def test_remove_bg_s_options_as_remove_bg_documents_them(runtime, photo, image_server):
    user_id, key = new_key(runtime, credits=30)
    zipped = removal(runtime, key, photo, size="preview", format="zip")
    assert zipped.status_code == 200 and zipped.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        colour = Image.open(io.BytesIO(archive.read("color.jpg")))
        matte = Image.open(io.BytesIO(archive.read("alpha.png")))
    assert (colour.format, matte.format, matte.mode) == ("JPEG", "PNG", "L") and colour.size == matte.size
    assert (int(zipped.headers["X-Width"]), int(zipped.headers["X-Height"])) == matte.size

    placed = removal(runtime, key, photo, size="preview", scale="50%", position="0% 0%")
    cutout = Image.open(io.BytesIO(placed.content))
    left, top, right, bottom = opaque_box(cutout)
    assert (left, top) == (0, 0) and placed.headers["X-Foreground-Left"] == "0"
    assert max((right - left) / cutout.width, (bottom - top) / cutout.height) == pytest.approx(0.5, abs=0.02)

    nothing = removal(runtime, key, photo, size="preview", roi="0px 0px 2px 2px")
    assert Image.open(io.BytesIO(nothing.content)).getchannel("A").getextrema() == (0, 0)
    assert "X-Foreground-Width" not in nothing.headers

    shadowed = removal(runtime, key, photo, size="preview", shadow_type="drop", shadow_opacity="80")
    plain = removal(runtime, key, photo, size="preview")
    more = np.asarray(Image.open(io.BytesIO(shadowed.content)).getchannel("A")).astype(int).sum()
    assert more > np.asarray(Image.open(io.BytesIO(plain.content)).getchannel("A")).astype(int).sum()

    on_yellow = removal(runtime, key, photo, size="preview", bg_image_url=f"{image_server}/yellow.png")
    assert on_yellow.status_code == 200 and on_yellow.headers["Content-Type"] == "image/jpeg"  # auto
    pixels = np.asarray(Image.open(io.BytesIO(on_yellow.content)).convert("RGB"), dtype=np.int16)
    assert (np.abs(pixels - YELLOW).max(axis=2) <= 16).mean() > 0.1

    as_file = requests.post(
        f"{runtime['api']}/v1.0/removebg",
        headers={"X-Api-Key": key},
        files={"image_file": ("chelsea.jpg", photo, "image/jpeg"), "bg_image_file": ("bg.png", yellow_png())},
        data={"size": "preview", "format": "png"},
        timeout=120,
    )
    assert as_file.status_code == 200 and Image.open(io.BytesIO(as_file.content)).mode == "RGB"
    refused = removal(runtime, key, photo, shadow_type="car")
    assert refused.status_code == 400 and "none, drop, auto" in refused.json()["errors"][0]["detail"]
    assert balance(runtime, user_id) == 30 - 7  # seven previews of a credit each, nothing refused


def test_a_test_key_runs_the_pipeline_free_at_preview_size_and_watermarked(runtime, client, photo, tmp_path):
    user_id, key = new_key(runtime, credits=0, test=True)
    assert key.startswith("bgr_test_")
    source = tmp_path / "chelsea.jpg"
    source.write_bytes(photo)
    client(key).remove_background_from_img_file(str(source), size="full")
    assert_cutout(f"{source}_no_bg.png", max_pixels=250_000)  # preview, whatever was asked
    answered = removal(runtime, key, photo, size="full", format="jpg")
    assert answered.status_code == 200 and answered.headers["X-Credits-Charged"] == "0"
    jobs = requests.get(f"{runtime['api']}/api/background-remover/jobs", headers=bearer(user_id), timeout=30)
    listed = jobs.json()["jobs"]
    assert len(listed) == 2 and all(j["test"] and j["creditsUsed"] == 0 for j in listed)
    assert balance(runtime, user_id) == 0
    _, live = new_key(runtime, credits=3)
    plain = removal(runtime, live, photo, size="preview", format="jpg")
    marked = removal(runtime, key, photo, size="preview", format="jpg")
    a = np.asarray(Image.open(io.BytesIO(plain.content)), dtype=np.int16)
    b = np.asarray(Image.open(io.BytesIO(marked.content)), dtype=np.int16)
    assert a.shape == b.shape and (np.abs(a - b).max(axis=2) > 40).mean() > 0.01  # the watermark


def test_the_published_npm_client_sends_scale_position_and_a_background(runtime, image_server):
    user_id, key = new_key(runtime, credits=5)
    result = npm_client(
        runtime,
        "url",
        key,
        f"{image_server}/chelsea.jpg",
        scale="50%",
        position="0% 0%",
        bg_image_url=f"{image_server}/yellow.png",
        keep_image=True,
    )
    assert result["ok"], result
    picture = Image.open(io.BytesIO(base64.b64decode(result["base64img"]))).convert("RGB")
    pixels = np.asarray(picture, dtype=np.int16)
    assert (np.abs(pixels - YELLOW).max(axis=2) <= 16).mean() > 0.5  # the subject at most a quarter
    assert result["creditsCharged"] == "1" and balance(runtime, user_id) == 4
