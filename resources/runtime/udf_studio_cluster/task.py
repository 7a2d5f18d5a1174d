"""The task a Dask worker runs: one UDF run, answered as a worker answers the engine.

The request is the worker protocol's `run` (docs/worker-protocol.md): the UDF's code, header
modules, parameters, tile and formats all travel in it, so a Dask worker needs only this runtime
package installed (`pip install ./resources/runtime`), never the UDF's folder. Executed code
stays warm per key in each Dask worker process, as in the engine's own workers.
"""

from __future__ import annotations

import os
import socket
from typing import Any, Final

from fused import _thread_output
from fused._errors import UDF_ERR_PROTOCOL, UdfRuntimeError
from udf_studio_worker._warm_cache import ProtocolError, WarmCache
from udf_studio_worker.worker_main import execute_run

_CACHE: Final = WarmCache()


def run_task(request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """Run one request; the response header (with `worker`: where it ran) and the payload.

    Never raises for the UDF's own failures, so Dask's retries are left for lost workers.
    """
    _thread_output.install()  # prints are captured per task thread, as in the engine's workers
    try:
        header, payload = execute_run(_CACHE, request)
    except ProtocolError as exc:
        header = {"ok": False, "stdout": "", "stderr": "", "durationMs": 0.0}
        header["error"] = UdfRuntimeError(str(exc), code=UDF_ERR_PROTOCOL).to_data()
        payload = b""
    header["worker"] = worker_identity()
    return header, payload


def worker_identity() -> str:
    """`host:pid` of the process running the task (the Dask worker's address when there is one)."""
    try:
        from distributed import get_worker

        return f"{get_worker().address} pid {os.getpid()}"
    except (ImportError, ValueError):
        return f"{socket.gethostname()} pid {os.getpid()}"
