"""The engine's bridge to one Dask cluster: a long-lived process holding a `distributed.Client`.

The engine starts `python -u -m udf_studio_cluster tcp://HOST:PORT` and speaks the worker
protocol's framing with it (requests on fd 3, answers on fd 4):

- first frame out: `{"op": "ready", "ok": true, "scheduler", "workers"}` once connected, or
  `{"op": "ready", "ok": false, "error"}` (`UDF_ERR_CLUSTER_UNREACHABLE`) when the scheduler did
  not answer within `CONNECT_TIMEOUT_S`; the process then exits.
- `run` (the worker protocol's run request): one Dask task (`task.run_task`); its answer is the
  worker's run response plus `worker`, sent as soon as the task ends, in any order.
- `cancel` (`target`): the task is cancelled and the run answers `UDF_ERR_CANCELLED`.
- `shutdown`, or end of file on fd 3: close the client and exit.

When the scheduler goes away mid-job, every run still waiting answers `UDF_ERR_CLUSTER_LOST`
(finished ones were answered already) and the bridge exits, so the next job connects afresh.
A worker lost mid-task is Dask's to handle: the scheduler runs the task again elsewhere.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from typing import Any, Final

from fused._errors import (
    UDF_ERR_CANCELLED,
    UDF_ERR_CLUSTER_FAILED,
    UDF_ERR_CLUSTER_LOST,
    UDF_ERR_CLUSTER_UNREACHABLE,
    UDF_ERR_WORKER_CRASHED,
    UdfRuntimeError,
)
from udf_studio_worker._framing import FrameError, FrameReader, FrameWriter

from .task import run_task

REQUEST_FD: Final = 3
RESPONSE_FD: Final = 4
CONNECT_TIMEOUT_S: Final = 5.0
# The scheduler may drop out this long (a restart, a network blip) before runs fail.
LOST_GRACE_S: Final = 10.0
# Runs wait at most this long for the cluster to have any worker at all.
NO_WORKERS_TIMEOUT_S: Final = 60.0
WATCH_INTERVAL_S: Final = 0.25


def main(argv: list[str]) -> int:
    """Connect to the scheduler named by `argv[0]` and serve runs; the exit status."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the engine decides when the bridge stops
    writer = FrameWriter(RESPONSE_FD)
    if len(argv) != 1:
        writer.write(
            {
                "op": "ready",
                "ok": False,
                "error": _error(
                    UDF_ERR_CLUSTER_FAILED, "usage: python -m udf_studio_cluster tcp://HOST:PORT"
                ),
            }
        )
        return 2
    address = argv[0]
    try:
        client = connect(address)
    except Exception as exc:
        message = (
            f"the Dask scheduler at {address} did not answer within {CONNECT_TIMEOUT_S:g} s "
            f"({type(exc).__name__}: {exc}); is it running? (udf-studio cluster local starts one)"
        )
        writer.write(
            {"op": "ready", "ok": False, "error": _error(UDF_ERR_CLUSTER_UNREACHABLE, message)}
        )
        return 1
    bridge = Bridge(client, address, writer)
    writer.write(
        {"op": "ready", "ok": True, "scheduler": address, "workers": bridge.worker_count()}
    )
    threading.Thread(target=bridge.watch, daemon=True).start()
    try:
        bridge.serve(FrameReader(REQUEST_FD))
    finally:
        bridge.close()
    return 0 if not bridge.lost else 1


def connect(address: str) -> Any:
    """A `distributed.Client` connected to `address`, or an exception after the timeout."""
    from distributed import Client

    client_class: Any = Client  # untyped in the library
    return client_class(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)


class Bridge:
    """Runs in flight by request id, their Dask futures, and the scheduler's health."""

    def __init__(self, client: Any, address: str, writer: FrameWriter) -> None:
        self._client = client
        self._address = address
        self._writer = writer
        self._lock = threading.Lock()
        self._futures: dict[object, Any] = {}
        self._cancelled: set[object] = set()
        self.lost = False
        self._stop = threading.Event()

    def worker_count(self) -> int:
        info = self._client.scheduler_info()
        return len(info.get("workers", {})) if isinstance(info, dict) else 0

    def serve(self, reader: FrameReader) -> None:
        """Read requests until end of file, `shutdown`, or the scheduler being lost."""
        while not self.lost:
            try:
                frame = reader.read()
            except FrameError:
                return
            if frame is None:
                return
            try:
                request = json.loads(frame[0])
            except ValueError:
                continue
            if not isinstance(request, dict):
                continue
            op = request.get("op")
            if op == "shutdown":
                return
            if op == "run":
                self.submit(request)
            elif op == "cancel":
                self.cancel(request.get("target"))

    def submit(self, request: dict[str, Any]) -> None:
        """Send one run to the cluster as a task; its answer is written when it ends."""
        request_id = request.get("id")
        if self.lost:
            self._answer(request_id, _failure(UDF_ERR_CLUSTER_LOST, self._lost_message()))
            return
        try:
            future = self._client.submit(run_task, request, pure=False)
        except Exception as exc:
            self._answer(
                request_id,
                _failure(
                    UDF_ERR_CLUSTER_LOST,
                    f"the Dask scheduler at {self._address} refused the task: {exc}",
                ),
            )
            return
        with self._lock:
            self._futures[request_id] = future
        future.add_done_callback(lambda done: self._finished(request_id, done))

    def cancel(self, request_id: object) -> None:
        with self._lock:
            future = self._futures.get(request_id)
            if future is None:
                return
            self._cancelled.add(request_id)
        future.cancel()

    def watch(self) -> None:
        """Fail the waiting runs when the scheduler is gone past the grace period, or the
        cluster has had no worker for too long."""
        away_since: float | None = None
        idle_since: float | None = None
        while not self._stop.wait(WATCH_INTERVAL_S):
            now = time.monotonic()
            status = str(getattr(self._client, "status", "running"))
            if status == "running":
                away_since = None
            else:
                away_since = away_since or now
                if status in ("closed", "closing") or now - away_since > LOST_GRACE_S:
                    self._lose(self._lost_message())
                    return
            with self._lock:
                waiting = bool(self._futures)
            if waiting and status == "running" and self.worker_count() == 0:
                idle_since = idle_since or now
                if now - idle_since > NO_WORKERS_TIMEOUT_S:
                    message = (
                        f"the Dask cluster at {self._address} has had no worker for "
                        f"{NO_WORKERS_TIMEOUT_S:g} s"
                    )
                    self._fail_waiting(message)
                    idle_since = None
            else:
                idle_since = None

    def close(self) -> None:
        self._stop.set()
        try:
            self._client.close(timeout=2)
        except Exception as exc:  # closing a client whose scheduler is gone may complain
            print(f"udf_studio_cluster: closing the client: {exc}", file=sys.stderr)

    def _lost_message(self) -> str:
        return (
            f"lost the Dask scheduler at {self._address} during the job; "
            "the runs that finished are kept"
        )

    def _lose(self, message: str, also: object = None) -> None:
        """Say the scheduler is lost (first, so the engine sends nothing more), fail the waiting
        runs (and `also`, already taken off them), and exit."""
        self.lost = True
        self._writer.write({"op": "lost", "error": _error(UDF_ERR_CLUSTER_LOST, message)})
        if also is not None:
            self._answer(also, _failure(UDF_ERR_CLUSTER_LOST, message))
        self._fail_waiting(message)
        # The reader blocks on fd 3: leave now; the engine starts a fresh bridge for the next job.
        os._exit(1)

    def _fail_waiting(self, message: str) -> None:
        with self._lock:
            waiting = list(self._futures)
            self._futures.clear()
        for request_id in waiting:
            self._answer(request_id, _failure(UDF_ERR_CLUSTER_LOST, message))

    def _finished(self, request_id: object, future: Any) -> None:
        with self._lock:
            if self._futures.pop(request_id, None) is None:
                return  # already answered (lost, or no workers)
            cancelled = request_id in self._cancelled
            self._cancelled.discard(request_id)
        if cancelled:
            self._answer(request_id, _failure(UDF_ERR_CANCELLED, "the run was cancelled"))
            return
        try:
            header, payload = future.result()
        except BaseException as exc:
            if "Cancelled" in type(exc).__name__:
                # Dask cancels every future when its scheduler connection breaks: the rest too.
                self._lose(self._lost_message(), request_id)
                return
            self._answer(request_id, self._task_failure(exc))
            return
        self._answer(request_id, header, payload)

    def _task_failure(self, exc: BaseException) -> dict[str, Any]:
        name = type(exc).__name__
        if name == "KilledWorker":
            return _failure(
                UDF_ERR_WORKER_CRASHED, f"the Dask workers running this task kept dying: {exc}"
            )
        if isinstance(exc, ModuleNotFoundError | ImportError):
            return _failure(
                UDF_ERR_CLUSTER_FAILED,
                f"a Dask worker cannot import UDF Studio's runtime ({exc}); install it on every "
                "worker with: pip install ./resources/runtime",
            )
        return _failure(UDF_ERR_CLUSTER_FAILED, f"the task failed on the cluster: {name}: {exc}")

    def _answer(self, request_id: object, header: dict[str, Any], payload: bytes = b"") -> None:
        self._writer.write({"id": request_id, **header}, payload)


def _error(code: str, message: str) -> dict[str, Any]:
    return UdfRuntimeError(message, code=code).to_data()


def _failure(code: str, message: str) -> dict[str, Any]:
    return {
        "ok": False,
        "stdout": "",
        "stderr": "",
        "durationMs": 0.0,
        "error": _error(code, message),
    }
