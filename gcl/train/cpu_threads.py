"""A shared pool of Python threads for CPU work that releases the GIL (NumPy BLAS calls, NumPy draws).

PyTorch's intra-op threads cannot run NumPy code; NumPy's own BLAS threads spin after each call and take the
cores from PyTorch's threads on small machines (see :mod:`gcl.train.cpu_matmul`). Splitting such work into
``torch.get_num_threads()`` parts and running them on sleeping Python threads keeps the thread budget that
``torch.set_num_threads`` sets, and leaves nothing spinning afterwards.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["run_in_threads", "run_over_ranges"]

_lock = threading.Lock()
_pool: dict[str, ThreadPoolExecutor | int] = {}


def _executor(workers: int) -> ThreadPoolExecutor:
    with _lock:
        pool = _pool.get("executor")
        forked = _pool.get("pid") != os.getpid()  # a forked child has the pool object but not its threads
        if pool is None or forked or int(_pool["workers"]) < workers:
            if pool is not None and not forked:
                pool.shutdown(wait=True)  # type: ignore[union-attr]
            pool = _pool["executor"] = ThreadPoolExecutor(workers, thread_name_prefix="gcl-cpu")
            _pool["workers"] = workers
            _pool["pid"] = os.getpid()
        return pool  # type: ignore[return-value]


def run_in_threads(tasks: Sequence[Callable[[], object]]) -> None:
    """Run ``tasks`` concurrently: the first in the calling thread, the others on a shared pool.

    Returns when all are done; the first exception raised by a task is re-raised.

    Example:
        >>> out = [0, 0]
        >>> run_in_threads([lambda: out.__setitem__(0, 1), lambda: out.__setitem__(1, 2)])
        >>> out
        [1, 2]
    """
    futures: list[Future] = []
    if len(tasks) > 1:
        pool = _executor(len(tasks) - 1)
        futures = [pool.submit(task) for task in tasks[1:]]
    try:
        if tasks:
            tasks[0]()
    finally:
        for future in futures:
            future.result()


def run_over_ranges(n: int, parts: int, fn: Callable[[int, int], object]) -> None:
    """Cut ``range(n)`` into ``parts`` near-equal ``[lo, hi)`` ranges; run ``fn(lo, hi)`` on each at once.

    Example:
        >>> seen = []
        >>> run_over_ranges(10, 3, lambda lo, hi: seen.append((lo, hi)))
        >>> sorted(seen)
        [(0, 3), (3, 6), (6, 10)]
    """
    bounds = [n * i // parts for i in range(parts + 1)]
    run_in_threads([lambda lo=lo, hi=hi: fn(lo, hi) for lo, hi in itertools.pairwise(bounds)])
