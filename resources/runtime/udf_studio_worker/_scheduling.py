"""How the kernel schedules the worker: as batch work (Linux `SCHED_BATCH`).

Each answer the worker writes, and each request the engine writes to it, wakes the other side.
Under the normal policy the woken worker takes the CPU from the engine at once, mid-write, so the
engine (one thread serving every request, the map's and QGIS's) waits on every worker it feeds;
on a 2-core machine under load that costs it a fifth of its throughput. A batch process gets the
same share of CPU time but never preempts on waking, so the engine and the window go first and the
workers compute in the time between. Threads and processes the worker starts afterwards inherit it.
"""

from __future__ import annotations

import contextlib
import os


def run_as_batch() -> None:
    """Put the calling thread (and so every thread and process it starts later) under the batch
    policy; nothing where the system has none (macOS) or refuses."""
    policy = getattr(os, "SCHED_BATCH", None)
    if policy is None:
        return
    with contextlib.suppress(OSError):
        os.sched_setscheduler(0, policy, os.sched_param(0))
