"""`fused.run(..., sync=False)`: the run starts at once in a thread, and the caller gets a handle
it can `await` (in a notebook or any asyncio code), or wait on with `result()`. The handle is a
coroutine too, as the official client's answer is, so `asyncio.run(handle)` takes it."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Coroutine, Generator
from concurrent.futures import Future
from typing import Any


class RunHandle(Coroutine[Any, Any, Any]):
    """A run in progress: `await handle`, `asyncio.run(handle)` or `handle.result(timeout)` gives
    its data."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self._future: Future[Any] = Future()
        self._steps: Generator[Any, None, Any] | None = None  # when driven as a coroutine
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

    def send(self, value: Any) -> Any:
        """One step as a coroutine (what an event loop's task calls)."""
        return self._driven().send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        """An exception thrown into the coroutine (a task being cancelled)."""
        error = typ if val is None and tb is None else typ(val).with_traceback(tb)
        return self._driven().throw(error)

    def close(self) -> None:
        if self._steps is not None:
            self._steps.close()

    def _driven(self) -> Generator[Any, None, Any]:
        if self._steps is None:
            self._steps = self.__await__()
        return self._steps

    def __repr__(self) -> str:
        return f"<RunHandle {'done' if self.done() else 'running'}>"
