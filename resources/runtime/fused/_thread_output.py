"""Per-thread capture of `sys.stdout` and `sys.stderr`.

A worker (or a local submit) may run several UDFs at once, each in its own thread, so swapping
`sys.stdout` for a run would mix their prints. Instead both streams are replaced once by routers
that write to the calling thread's buffer while it runs a UDF, and where they wrote before
otherwise. A thread started while a capture is open (a UDF's own threads and thread pools)
writes to that capture too; once the capture has ended, its prints go where they went before
(the worker's log), never into a buffer nobody reads.
"""

from __future__ import annotations

import io
import sys
import threading
from typing import Any, TextIO

_local = threading.local()


class _Capture:
    """The two buffers of one capture, open while the code it encloses runs (a context manager
    that gives them, so the calling thread's prints, and its new threads', go into them)."""

    __slots__ = ("_saved", "err", "open", "out")

    def __init__(self) -> None:
        self.out = io.StringIO()
        self.err = io.StringIO()
        self.open = True
        self._saved: _Capture | None = None

    def __enter__(self) -> tuple[io.StringIO, io.StringIO]:
        self._saved = getattr(_local, "capture", None)
        _local.capture = self
        return self.out, self.err

    def __exit__(self, *_exc: object) -> None:
        self.open = False
        _local.capture = self._saved


def _current() -> _Capture | None:
    capture: _Capture | None = getattr(_local, "capture", None)
    return capture if capture is not None and capture.open else None


class _ThreadRouter(io.TextIOBase):
    """A text stream that writes to the current thread's capture buffer, if any."""

    def __init__(self, real: TextIO, slot: str) -> None:
        self._real = real
        self._slot = slot

    def _target(self) -> TextIO:
        capture = _current()
        if capture is None:
            return self._real
        return capture.out if self._slot == "out" else capture.err

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return bool(self._real.isatty())

    def __getattr__(self, name: str) -> Any:
        # encoding, fileno, buffer...: what code that inspects sys.stdout expects of the real one.
        return getattr(self._real, name)


_thread_start = threading.Thread.start


def _start_in_capture(thread: threading.Thread) -> None:
    """`Thread.start`: the new thread writes to the capture open in the thread that starts it."""
    capture = _current()
    if capture is not None:
        run = thread.run

        def run_in_capture() -> None:
            _local.capture = capture
            run()

        thread.run = run_in_capture  # type: ignore[method-assign]
    _thread_start(thread)


def install() -> None:
    """Route `sys.stdout` and `sys.stderr` through the per-thread routers (once is enough)."""
    if not isinstance(sys.stdout, _ThreadRouter):
        sys.stdout = _ThreadRouter(sys.stdout, "out")
    if not isinstance(sys.stderr, _ThreadRouter):
        sys.stderr = _ThreadRouter(sys.stderr, "err")
    threading.Thread.start = _start_in_capture  # type: ignore[method-assign, assignment]


def captured() -> _Capture:
    """Capture this thread's prints, and those of threads it starts meanwhile, into two buffers
    (stdout, stderr) for the enclosed code: `with captured() as (out, err):`."""
    return _Capture()
