"""`fused.run(..., sync=False)`: the run starts at once in a thread, and the caller gets a handle
it can `await` (in a notebook or any asyncio code), or wait on with `result()`."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Generator
from concurrent.futures import Future
from typing import Any


class RunHandle:
    """A run in progress: `await handle`, or `handle.result(timeout)`, gives its data."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self._future: Future[Any] = Future()
        context = contextvars.copy_context()  # the caller's nesting depth goes with the run
        threading.Thread(target=self._work, args=(context, call), daemon=True).start()

    def _work(self, context: contextvars.Context, call: Callable[[], Any]) -> None:
        if not self._future.set_running_or_notify_cancel():
            return
        try:
            self._future.set_result(context.run(call))
        except BaseException as exc:
            self._future.set_exception(exc)

    def done(self) -> bool:
        """Whether the run has ended."""
        return self._future.done()

    def result(self, timeout: float | None = None) -> Any:
        """Wait for the run and return its data (or raise its error)."""
        return self._future.result(timeout)

    def __await__(self) -> Generator[Any, None, Any]:
        return asyncio.wrap_future(self._future).__await__()

    def __repr__(self) -> str:
        return f"<RunHandle {'done' if self.done() else 'running'}>"
