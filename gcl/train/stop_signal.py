"""``kill PID`` stops a training command the way Ctrl-C does.

A run started in the background (``nohup gcl rec train ... &``) cannot be reached by Ctrl-C, and the shell
starts it with SIGINT ignored, so ``kill -INT`` does nothing either. :func:`terminate_as_interrupt` makes
SIGTERM (``kill PID``'s default) raise :class:`KeyboardInterrupt` in the main thread, which the trainers
already turn into a graceful end: the best validated state is restored and tested, and the run directory's
``metrics.json`` marks the seed ``interrupted`` (see :class:`gcl.rec.trainer.RecResult`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["terminate_as_interrupt"]


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises ``KeyboardInterrupt``; the previous handler is restored after it.

    Outside the main thread (where Python cannot install signal handlers) the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
