"""A progress bar for submit jobs: one redrawn line in a terminal, an updating cell output in a
notebook, and only a start and an end line where neither exists (a log file, CI)."""

from __future__ import annotations

import sys
import time
from typing import Any, Final, TextIO

WIDTH: Final = 30
# Redraws closer together than this are skipped (a thousand fast runs must not flood a terminal).
MIN_INTERVAL_S: Final = 0.1


def bar_text(label: str, done: int, total: int, failed: int, running: int) -> str:
    """The bar as text: `label [#####.....] 12/30 done, 1 failed, 3 running`."""
    filled = WIDTH if total == 0 else round(WIDTH * done / total)
    text = f"{label} [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total} done"
    if failed:
        text += f", {failed} failed"
    if running:
        text += f", {running} running"
    return text


class Progress:
    """Shows how far a job is; `update` as counts change, `close` once at the end."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self._label = label
        self._total = total
        self._stream = stream or sys.stderr
        self._last = 0.0
        self._shown = ""
        self._notebook = _notebook_display()
        self._terminal = self._notebook is None and _isatty(self._stream)
        if self._notebook is None and not self._terminal:
            self._stream.write(f"{label}: {total} runs\n")
            self._stream.flush()

    def update(self, done: int, failed: int = 0, running: int = 0, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._last < MIN_INTERVAL_S:
            return
        self._last = now
        text = bar_text(self._label, done, self._total, failed, running)
        if text == self._shown:
            return
        self._shown = text
        if self._notebook is not None:
            self._notebook.update(text)
        elif self._terminal:
            self._stream.write(f"\r{text}")
            self._stream.flush()

    def close(self, done: int, failed: int = 0) -> None:
        self.update(done, failed, 0, final=True)
        if self._terminal:
            self._stream.write("\n")
        elif self._notebook is None:
            self._stream.write(f"{bar_text(self._label, done, self._total, failed, 0)}\n")
        self._stream.flush()


class _NotebookLine:
    def __init__(self, display: Any, handle: Any) -> None:
        self._display = display
        self._handle = handle

    def update(self, text: str) -> None:
        self._handle.update(self._display.Pretty(text))


def _notebook_display() -> _NotebookLine | None:
    """An updatable output in a Jupyter kernel, else None."""
    if "ipykernel" not in sys.modules:
        return None
    try:
        from IPython import display  # type: ignore[import-not-found]

        handle = display.display(display.Pretty(""), display_id=True)
    except Exception:  # no usable IPython: fall back to text
        return None
    return None if handle is None else _NotebookLine(display, handle)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
