"""Interrupting a run that executes in another thread of this process (a cancelled job's run)."""

from __future__ import annotations

import ctypes


class RunCancelled(BaseException):
    """Raised inside a cancelled run; `except Exception` in UDF code does not catch it."""


def interrupt_thread(ident: int) -> bool:
    """Raise `RunCancelled` in thread `ident` at its next Python instruction; False if it is gone.

    A thread blocked in C code (a long `time.sleep`, a socket read) sees it only when that call
    returns.
    """
    set_async = ctypes.pythonapi.PyThreadState_SetAsyncExc
    return bool(set_async(ctypes.c_ulong(ident), ctypes.py_object(RunCancelled)))
