"""One helper thread per process: Pillow and libwebp release the GIL, so a second stage can run
beside the caller's (the model input's other half, the thumbnail beside the encode)."""

from concurrent.futures import ThreadPoolExecutor

pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cutout")
