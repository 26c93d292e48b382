"""One helper thread per process: Pillow, OpenCV, ISA-L and libwebp release the GIL, so a second
stage can run beside the caller's (the model input's other half, the thumbnail beside the encode,
parts of a large PNG's deflate)."""

import threading
from concurrent.futures import Future, ThreadPoolExecutor

_NAME = "cutout"
pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_NAME)


def beside(fn, *args) -> Future:
    """`fn(*args)` on the helper thread; called from the helper thread itself (which would wait
    on its own queue), run here, now."""
    if threading.current_thread().name.startswith(_NAME):
        done: Future = Future()
        done.set_result(fn(*args))
        return done
    return pool.submit(fn, *args)
