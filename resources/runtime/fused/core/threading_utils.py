"""`fused.core.threading_utils`: prints captured per thread, as runs in threads need them.

`isolate_streams_per_thread()` routes `sys.stdout` and `sys.stderr` through per-thread routers
(once per process; the worker and local submits install them too), and
`capture_current_thread_output()` captures the calling thread's prints into two buffers.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from .. import _thread_output


@contextmanager
def isolate_streams_per_thread() -> Iterator[tuple[TextIO, TextIO]]:
    """Install the per-thread routers (if not yet) and give them (stdout, stderr)."""
    _thread_output.install()
    yield sys.stdout, sys.stderr


@contextmanager
def capture_current_thread_output() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """Capture this thread's prints for the enclosed code: (stdout buffer, stderr buffer)."""
    _thread_output.install()
    with _thread_output.captured() as buffers:
        yield buffers
