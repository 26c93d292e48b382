"""Work started on many threads at once, for the tests of what must hold under concurrency."""

import threading
from collections.abc import Callable


def on_threads(count: int, work: Callable[[int], object]) -> None:
    """Runs work(0) … work(count - 1), each on a thread of its own, released together by a barrier;
    returns once every thread has finished."""
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
