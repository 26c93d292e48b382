"""remove.bg's background images and a test key's jobs through the inference function on moto
(real u2netp): the URL fetched by the worker through the guarded client, the file read from
where the job stored it; a test job free and watermarked; a background that cannot be had
fails and refunds the image."""

import io
import zipfile

import numpy as np
import pytest
from PIL import Image
from skimage import data

from bgr_core.integrations import backgrounds
from bgr_core.integrations.guarded_http import UrlNotAllowed
from bgr_core.money import credits
from bgr_core.platform.models import Job, LedgerEntry
from bgr_core.work import batches, jobs
from bgr_core.work.batches import ImageSpec
from bgr_core.work.output_options import OutputOptions
from http_stub import QuietHandler, base_url, http_server
from money import fund

pytestmark = pytest.mark.slow
YELLOW = (250, 230, 0)


def png(colour, size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def scenery(aws, settings_env):
    """A loopback server with a yellow background image (loopback allowed for these tests)."""
    settings_env(OUTBOUND_ALLOW_NETWORKS='["127.0.0.0/8"]', OUTBOUND_ALLOW_PORTS='["1024-65535"]')

    class Handler(QuietHandler):
        def do_GET(self):
            if self.path == "/yellow.png":
                self.answer(200, png(YELLOW), {"Content-Type": "image/png"})
            else:
                self.answer(404)

    with http_server(Handler) as server:
        yield base_url(server)


def yellow_share(image: Image.Image) -> float:
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    return float((np.abs(rgb - YELLOW).max(axis=2) <= 16).mean())


def test_a_background_url_is_fetched_by_the_worker_and_fills_the_canvas(inference, scenery, photo_jpeg):
    fund("u1")
    options = OutputOptions(format="jpg", bg_image_url=f"{scenery}/yellow.png")
    job = jobs.create("u1", "basic", "p.jpg", options=options)
    inference.put(job.original_key, photo_jpeg)
    inference.run()
    done = Job.get(job.id)
    assert done.status == "completed", done.error_message
    result = inference.image(done.result_key)
    assert result.format == "JPEG" and yellow_share(result) > 0.1  # where the photo's background was


def test_a_stored_background_file_is_used_and_a_test_job_is_free_and_watermarked(inference, aws, photo_jpeg):
    job_id = "f" * 32
    options = OutputOptions(format="png", shadow_type="drop")
    job = jobs.create(
        "u2",
        "basic",
        "p.jpg",
        options=options,
        job_id=job_id,
        background_key=backgrounds.key("u2", job_id),
        test=True,
    )
    jobs.store_background(job, png((0, 0, 200), (300, 300)), "image/png")
    inference.put(job.original_key, photo_jpeg)
    inference.run()
    done = Job.get(job.id)
    assert (done.status, done.credits_used, done.pricing_type, done.test) == ("completed", 0, "test", True)
    result = inference.image(done.result_key)
    assert result.mode == "RGB"  # flattened onto the background image
    blue = np.asarray(result)[..., 2] > 150
    assert blue.mean() > 0.2  # the background shows
    assert list(LedgerEntry.query("u2")) == [] and credits.balance("u2") == 0


def test_a_background_that_cannot_be_had_fails_the_image_and_refunds_it(inference, scenery, photo_jpeg):
    fund("u1", 10)
    job = jobs.create("u1", "basic", "p.jpg", options=OutputOptions(bg_image_url=f"{scenery}/missing.png"))
    assert credits.balance("u1") == 7
    inference.put(job.original_key, photo_jpeg)
    inference.run()
    done = Job.get(job.id)
    assert (done.status, done.error_code) == ("failed", "BACKGROUND_URL_FETCH_FAILED")
    assert credits.balance("u1") == 10


def test_a_background_url_that_may_never_be_fetched_is_refused_before_charging(aws):
    fund("u1", 10)
    private = OutputOptions(bg_image_url="http://10.0.0.7/bg.jpg")
    with pytest.raises(UrlNotAllowed):
        jobs.create("u1", "basic", "p.jpg", options=private)
    spec = ImageSpec(filename="a.jpg", contentType="image/jpeg", sizeBytes=1000)
    with pytest.raises(UrlNotAllowed):
        batches.create("u1", "basic", [spec], options=private)
    assert credits.balance("u1") == 10 and not list(Job.scan())


def test_a_batch_takes_its_background_and_placement_for_every_item(inference, scenery, photo_jpeg):
    fund("u1")
    options = OutputOptions(format="zip", bg_image_url=f"{scenery}/yellow.png", scale=50, position="0% 0%")
    specs = [
        ImageSpec(filename=f"p{i}.jpg", contentType="image/jpeg", sizeBytes=len(photo_jpeg)) for i in range(2)
    ]
    batch, items = batches.create("u1", "basic", specs, options=options)
    for item in items:
        inference.put(item.key, photo_jpeg)
    assert inference.run() == {"batchItemFailures": []}
    for item in batches.items(batch.id):
        assert item.status == "completed" and item.result_key.endswith(".zip")
        body = inference.s3.get_object(Bucket=inference.bucket, Key=item.result_key)["Body"].read()
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            colour = Image.open(io.BytesIO(archive.read("color.jpg")))
            matte = Image.open(io.BytesIO(archive.read("alpha.png")))
        assert colour.size == matte.size
        left, top, right, bottom = matte.point(lambda v: 255 if v >= 8 else 0).getbbox()
        assert left == 0 and top == 0  # placed in the top-left corner
        larger = max((right - left) / matte.width, (bottom - top) / matte.height)
        assert larger == pytest.approx(0.5, abs=0.02)  # scale=50%
        assert yellow_share(colour) > 0.5  # the subject takes at most a quarter


def coffee_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(data.coffee()).save(buffer, "JPEG", quality=90)  # a cup with room around it
    return buffer.getvalue()


def test_a_removal_s_roi_and_a_batch_s_shadow_are_rendered_by_the_worker(inference):
    fund("u1")
    photo = coffee_jpeg()
    outside = jobs.create("u1", "basic", "c.jpg", options=OutputOptions(roi="0px 0px 8px 8px"))
    plain = jobs.create("u1", "basic", "c.jpg", options=OutputOptions())
    shadowed = OutputOptions(shadow_type="drop", shadow_opacity=60)
    spec = ImageSpec(filename="c.jpg", contentType="image/jpeg", sizeBytes=len(photo))
    batch, (item,) = batches.create("u1", "basic", [spec], options=shadowed)
    for key in (outside.original_key, plain.original_key, item.key):
        inference.put(key, photo)
    assert inference.run() == {"batchItemFailures": []}

    empty = inference.image(Job.get(outside.id).result_key)
    assert empty.getchannel("A").getextrema() == (0, 0)  # only the corner could be foreground
    cut = np.asarray(inference.image(Job.get(plain.id).result_key).getchannel("A"), dtype=np.int16)
    assert cut.max() == 255  # the cup, where no roi keeps it out
    (settled,) = batches.items(batch.id)
    shadow = inference.image(settled.result_key)
    alpha = np.asarray(shadow.getchannel("A"), dtype=np.int16)
    assert (alpha >= cut - 2).all()  # the subject untouched, the shadow only added
    cast = (cut == 0) & (alpha > 0)
    assert cast.mean() > 0.001 and alpha[cast].max() <= 0.6 * 255 + 1  # at its opacity
    assert (np.asarray(shadow.convert("RGB"))[cast] <= 8).all()  # black
