"""Stopping a run in progress when the engine asks (`cancel`).

The run's thread gets `RunCancelled` raised inside it: the main thread through a signal, which
also cuts short a `time.sleep` or a blocking read; other threads through the interpreter's
asynchronous exception, which lands at the thread's next Python instruction. A run stuck in C
code past the engine's grace period is ended by the engine killing the worker.

A cancel can overtake its run: the engine sends runs to an idle worker on fd 3 (or queues one
there behind a quick run) and cancels on fd 5, read by different threads. A cancel for a run
not started yet is kept, and the run is cancelled as it starts.

A run that is importing a module is interrupted only once the import is over: cut short, an
import leaves half a module behind (a package's submodules holding a parent that never finished,
or a module still marked as initialising), and every later run in the worker fails on it.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import Final

from fused._interrupt import RunCancelled, interrupt_thread

_SIGNAL: Final = getattr(signal, "SIGUSR1", None)
# The frames of Python's import machinery, under every module's code while it is imported.
_IMPORT_MACHINERY: Final = frozenset(
    {"<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>"}
)
# How often a cancel waiting for an import to end looks again.
_IMPORT_RECHECK_S: Final = 0.02
# Cancels kept for runs not started: ids never repeat, so one for a run that already ended just
# waits here to be dropped as newer ones come.
_EARLY_CANCELS: Final = 256
__all__ = ["Cancellation", "RunCancelled"]


class Cancellation:
    """The runs in progress by request id, and the means to interrupt each one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: dict[object, int] = {}
        self._early: dict[object, None] = {}
        self._main_target: object = None
        self._main = threading.main_thread().ident
        if _SIGNAL is not None and threading.current_thread() is threading.main_thread():
            signal.signal(_SIGNAL, self._on_signal)

    def started(self, request_id: object) -> None:
        """The calling thread now runs `request_id`; raises `RunCancelled` when a cancel for it
        came first."""
        with self._lock:
            self._threads[request_id] = threading.get_ident()
            if request_id in self._early:
                del self._early[request_id]
                raise RunCancelled()

    def finished(self, request_id: object) -> None:
        """The run of `request_id` ended; a late cancel must no longer reach its thread."""
        with self._lock:
            self._threads.pop(request_id, None)
            if self._main_target == request_id:
                self._main_target = None

    def cancel(self, request_id: object) -> bool:
        """Interrupt the run of `request_id`; False when it is not running (it is then cancelled
        as it starts, if it ever does)."""
        with self._lock:
            ident = self._threads.get(request_id)
            if ident is None:
                self._early[request_id] = None
                if len(self._early) > _EARLY_CANCELS:
                    del self._early[next(iter(self._early))]
                return False
            if importing(sys._current_frames().get(ident)):
                self._after_import(request_id)
                return True
            if ident == self._main and _SIGNAL is not None:
                self._main_target = request_id
                signal.pthread_kill(ident, _SIGNAL)
                return True
        return interrupt_thread(ident)

    def _after_import(self, request_id: object) -> None:
        timer = threading.Timer(_IMPORT_RECHECK_S, self.cancel, args=(request_id,))
        timer.daemon = True
        timer.start()

    def _on_signal(self, _signum: int, frame: FrameType | None) -> None:
        with self._lock:
            target = self._main_target
            still_running = target is not None and self._threads.get(target) == self._main
            self._main_target = None
        if still_running and importing(frame):
            self._after_import(target)
        elif still_running:
            raise RunCancelled()


def importing(frame: FrameType | None) -> bool:
    """Whether the thread at `frame` is inside an import (its module's code included)."""
    while frame is not None:
        if frame.f_code.co_filename in _IMPORT_MACHINERY:
            return True
        frame = frame.f_back
    return False
