"""Per-thread capture of `sys.stdout` and `sys.stderr`.

A worker (or a local submit) may run several UDFs at once, each in its own thread, so swapping
`sys.stdout` for a run would mix their prints. Instead both streams are replaced once by routers
that write to the calling thread's buffer while it runs a UDF, and where they wrote before
otherwise.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

_local = threading.local()


class _ThreadRouter(io.TextIOBase):
    """A text stream that writes to the current thread's capture buffer, if any."""

    def __init__(self, real: TextIO, slot: str) -> None:
        self._real = real
        self._slot = slot

    def _target(self) -> TextIO:
        buffer: TextIO | None = getattr(_local, self._slot, None)
        return buffer if buffer is not None else self._real

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


def install() -> None:
    """Route `sys.stdout` and `sys.stderr` through the per-thread routers (once is enough)."""
    if not isinstance(sys.stdout, _ThreadRouter):
        sys.stdout = _ThreadRouter(sys.stdout, "out")
    if not isinstance(sys.stderr, _ThreadRouter):
        sys.stderr = _ThreadRouter(sys.stderr, "err")


@contextmanager
def captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """Capture this thread's prints into two buffers (stdout, stderr) for the enclosed code."""
    out, err = io.StringIO(), io.StringIO()
    saved = getattr(_local, "out", None), getattr(_local, "err", None)
    _local.out, _local.err = out, err
    try:
        yield out, err
    finally:
        _local.out, _local.err = saved
