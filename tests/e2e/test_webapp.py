"""The web app in a real browser: Debian's headless Chromium driven by Playwright against
`python -m bgr_local serve` on free ports — sign in, admin grant, one removal to its cutout, a
failed one shown refunded in History, a 5-image batch to its ZIP, a 402 in words, a plan and a
credit pack paid through the local checkout. Screenshots are left in out/ (webapp-*.png).

Every page runs under the security headers CloudFront sends (template.yaml's WebSecurityHeaders,
which the local runtime sends with its own origins): a Content-Security-Policy violation reported
by the browser fails the test."""

import io
import os
import re
import secrets
import shutil
import uuid
import zipfile

import pytest
import requests
from PIL import Image
from playwright.sync_api import Page, expect, sync_playwright
from skimage import data

from bgr_local.template import Template
from bgr_local.webapp import security_headers
from harness import ROOT
from serving import serving

pytestmark = pytest.mark.slow
SECRET = secrets.token_urlsafe(16)
OUT = ROOT / "out"
SAMPLES = ("chelsea", "coffee", "astronaut", "rocket", "cat")
WORK_S = 180  # inference and the ZIP workflow on a busy 2-core machine
# A function's first request starts its instance (a cold start: seconds on a busy machine).
expect.set_options(timeout=60_000)


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is not installed (make test installs it: make chromium)"
        if os.environ.get("BGR_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    if not (ROOT / "web" / "dist" / "index.html").exists():
        pytest.fail("the web app is not built (make web)")
    with serving(tmp_path_factory.mktemp("serve") / "serve.log", SECRET) as urls:
        yield urls["api"]


@pytest.fixture(scope="module")
def s3_origin(app) -> str:
    """moto's S3 endpoint of the running app, which its CSP names as the images origin."""
    headers = {k.lower(): v for k, v in requests.get(app, timeout=10).headers.items()}
    match = re.search(r"img-src 'self' blob: (\S+);", headers["content-security-policy"])
    return match.group(1)


def watch_csp(context) -> list[str]:
    """The CSP violations every page of `context` reports (securitypolicyviolation events)."""
    violations: list[str] = []
    context.expose_function("__bgrCspViolation", lambda violation: violations.append(violation))
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => window.__bgrCspViolation("
        "`${e.effectiveDirective} refused ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`))"
    )
    return violations


@pytest.fixture
def browser():
    """A browser per test: Playwright's driver and its threads end with the test."""
    executable = chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(app, browser):
    context = browser.new_context(
        base_url=app, viewport={"width": 1200, "height": 900}, accept_downloads=True
    )
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(60_000)
    # shown when a test fails: what the API refused and what the page logged
    page.on(
        "response", lambda r: r.status >= 400 and print(r.status, r.request.method, r.url, r.text()[:200])
    )
    page.on("console", lambda message: print("console:", message.text))
    yield page
    context.close()
    assert violations == [], "the app broke its Content-Security-Policy"


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    paths = []
    for name in SAMPLES:
        image = Image.fromarray(getattr(data, name)()).convert("RGB")
        image.thumbnail((480, 480))
        paths.append(folder / f"{name}.jpg")
        image.save(paths[-1], quality=90)
    return paths


def shot(page: Page, name: str) -> None:
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=OUT / f"webapp-{name}.png", full_page=True)


def go(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def choose_tier(page: Page, tier: str) -> None:
    radio = page.get_by_role("radio", name=re.compile(f"^{tier} .* paid in credits$"))
    expect(radio).to_have_count(1)  # the quotes have answered
    radio.check()


def sign_in(page: Page, admin: bool = False) -> str:
    """With the keyboard only, as a screen-reader or keyboard user would."""
    user = f"web-{uuid.uuid4().hex[:8]}"
    page.goto("/")
    page.get_by_label("User name").focus()
    page.keyboard.type(user)
    if admin:
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    return user


def grant_self(page: Page, amount: int) -> None:
    go(page, "Account")
    page.get_by_label("Credits to add").fill(str(amount))
    page.get_by_role("button", name="Grant credits").click()
    expect(page.get_by_role("status")).to_contain_text(f"balance is now {amount} credits")
    expect(page.get_by_test_id("balance")).to_have_text(f"{amount} credits")
    expect(page.get_by_role("table", name="Ledger (newest first)")).to_contain_text(f"+{amount}")


def test_sign_in_get_credits_and_remove_one_background(page, images):
    sign_in(page, admin=True)
    grant_self(page, 100)
    go(page, "Remove")
    page.get_by_label("Choose an image").set_input_files(images[0])
    choose_tier(page, "basic")
    page.get_by_role("button", name="Remove background").click()
    after = page.get_by_role("img", name="Image with the background removed")
    expect(after).to_be_visible(timeout=WORK_S * 1000)
    assert after.evaluate("img => img.complete && img.naturalWidth") > 0
    expect(page.get_by_text("Charged 3 credits")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("97 credits")
    slider = page.get_by_label("Before and after: how much of the original to show")
    slider.press("Home")  # the keyboard moves the split: all cutout
    assert after.evaluate("img => getComputedStyle(img).clipPath") == "inset(0px 0px 0px 0%)"
    for _ in range(30):
        slider.press("ArrowRight")
    shot(page, "single")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the cutout").click()
    assert download.value.suggested_filename == "chelsea-cutout.png"
    cutout = Image.open(download.value.path())
    assert cutout.format == "PNG" and cutout.mode == "RGBA"
    assert cutout.getchannel("A").getextrema() == (0, 255)  # background gone, subject kept
    go(page, "History")
    expect(page.get_by_role("img", name="Cutout of chelsea.jpg")).to_be_visible()
    expect(page.get_by_text("No batches yet.")).to_be_visible()
    shot(page, "history")


def test_history_says_why_a_job_failed_and_that_it_was_refunded(page, images, tmp_path):
    sign_in(page, admin=True)
    grant_self(page, 10)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(images[0].read_bytes()[:2000])  # a photo cut off mid-scan
    go(page, "Remove")
    page.get_by_label("Choose an image").set_input_files(truncated)
    choose_tier(page, "basic")
    page.get_by_role("button", name="Remove background").click()
    expect(page.get_by_role("alert")).to_contain_text("could not be processed", timeout=WORK_S * 1000)
    go(page, "History")
    row = page.get_by_role("listitem").filter(has_text="truncated.jpg")
    expect(row).to_contain_text("failed")
    expect(row).to_contain_text("3 credits, refunded")
    expect(row).to_contain_text("damaged and cannot be read")
    shot(page, "history-refunded")


def test_a_five_image_batch_to_its_zip(page, images):
    sign_in(page, admin=True)
    grant_self(page, 100)
    go(page, "Batch")
    page.get_by_label("Choose files").set_input_files(images)
    page.get_by_role("radio", name="basic").check()
    quote = page.get_by_role("table", name="Quote")
    expect(quote).to_contain_text("5 × 3 credits")
    expect(quote).to_contain_text("To pay15 credits")
    page.get_by_role("button", name="Start the batch").click()
    zip_link = page.get_by_role("link", name="Download the ZIP")
    expect(zip_link).to_be_visible(timeout=WORK_S * 1000)
    expect(page.get_by_text("5 done, 0 failed of 5")).to_be_visible()
    shot(page, "batch")
    with page.expect_download() as download:
        zip_link.click()
    with zipfile.ZipFile(download.value.path()) as archive:
        assert archive.testzip() is None
        cutouts = [n for n in archive.namelist() if n.endswith(".png")]
        assert len(cutouts) == 5
        assert Image.open(io.BytesIO(archive.read(cutouts[0]))).mode == "RGBA"


def test_no_credits_is_explained_in_words_and_charges_nothing(page, images):
    sign_in(page)
    page.get_by_label("Choose an image").set_input_files(images[1])
    choose_tier(page, "standard")
    page.get_by_role("button", name="Remove background").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not enough credits")
    expect(alert).to_contain_text("Buy credits on the Account page")
    expect(alert).to_contain_text("Nothing was charged")
    shot(page, "402")
    go(page, "History")
    expect(page.get_by_text("No images yet.")).to_be_visible()


def test_subscribe_and_buy_credits_through_the_local_checkout(page):
    sign_in(page)
    go(page, "Account")
    expect(page.get_by_text("No subscription: every image is paid in credits.")).to_be_visible()
    page.get_by_role("button", name="Subscribe to starter").click()
    # the local checkout, standing in for Stripe's page (its own origin)
    expect(page.get_by_role("heading", name="Local checkout")).to_be_visible()
    shot(page, "checkout")
    page.get_by_role("button", name="Pay Rp 99.000 a month").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text("Payment confirmed: your starter plan is active")
    expect(page.get_by_test_id("plan-status")).to_have_text("active")
    assert page.evaluate("location.hash") == "#/account"  # the checkout's parameters are gone
    shot(page, "subscribed")
    page.get_by_role("button", name="Buy 500 credits").click()
    page.get_by_role("button", name="Pay Rp 47.500").click()
    expect(page.get_by_role("status")).to_contain_text("500 credits added to your balance")
    expect(page.get_by_test_id("balance")).to_have_text("500 credits")
    expect(page.get_by_role("table", name="Ledger (newest first)")).to_contain_text("Credits bought")
    page.get_by_role("button", name="Cancel the subscription").click()
    expect(page.get_by_test_id("plan-status")).to_have_text("cancelled")
    page.get_by_role("button", name="Subscribe to pro").click()
    page.get_by_role("link", name="Cancel and go back").click()
    expect(page.get_by_role("status")).to_contain_text("The checkout was cancelled: nothing was charged.")
    expect(page.get_by_test_id("plan-status")).to_have_text("cancelled")


def test_a_phone_sized_screen(app, browser):
    context = browser.new_context(base_url=app, viewport={"width": 390, "height": 844}, is_mobile=True)
    violations = watch_csp(context)
    page = context.new_page()
    sign_in(page)
    go(page, "Account")
    expect(page.get_by_role("table", name="Plans and when they pay off")).to_contain_text(
        "124 standard images a month"
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"
    shot(page, "phone")
    context.close()
    assert violations == []


def test_the_app_is_served_with_the_deployed_security_headers(app, s3_origin):
    """Exactly the template's policy, its origins the local ones (the API and sign-in are 'self')."""
    expected = security_headers(Template(), s3_origin)
    for path in ("/", "/config.json"):
        response = requests.get(app + path, timeout=10)
        for name, value in expected:
            assert response.headers[name] == value, (path, name)
    csp = dict(expected)["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    api = requests.get(app + "/health", timeout=10)  # API Gateway's answers are not CloudFront's
    assert "Content-Security-Policy" not in api.headers


def test_an_injected_inline_script_is_refused_and_reported(app, browser):
    """The CSP is enforced, and the watch that every test relies on sees a violation."""
    context = browser.new_context(base_url=app)
    violations = watch_csp(context)
    page = context.new_page()
    page.goto("/")
    expect(page.get_by_label("User name")).to_be_visible()
    refused = page.evaluate(
        """() => new Promise((resolve) => {
          document.addEventListener("securitypolicyviolation", (e) => resolve(e.effectiveDirective));
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.append(script);
        })"""
    )
    assert refused == "script-src-elem"
    assert page.evaluate("() => window.injected === undefined")
    context.close()
    assert any(v.startswith("script-src") for v in violations), violations


def test_the_token_is_kept_for_the_tab_only(page, app):
    """sessionStorage (a reload keeps the sign-in), never localStorage; a new tab signs in again."""
    sign_in(page)
    assert page.evaluate("() => localStorage.length") == 0
    token = page.evaluate("() => sessionStorage.getItem('bgr.token')")
    assert token and token.count(".") == 2
    page.reload()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    other = page.context.new_page()
    other.goto("/")
    expect(other.get_by_label("User name")).to_be_visible()
    assert other.evaluate("() => localStorage.length + sessionStorage.length") == 0
