"""The worker: serves `run`, `describe`, `load`, `cancel` and `shutdown` requests from the engine.

Requests arrive on fd 3 and fd 5, responses leave on fd 4 (see docs/worker-protocol.md). The
engine sends a run or describe on fd 3 when the worker has none in progress (or one more behind
a quick run in progress, to be served next): the main thread reads fd 3 itself and serves what
it reads, so a run meets no thread handoff on its way in.
Everything sent while runs are in progress comes on fd 5, read by a thread of its own: `load`
and `cancel` are answered at once, a run or describe gets a thread of its own, so a worker whose
runs wait (on I/O, on sleep, on a UDF they called) can take more; the engine decides how many.
Executed UDF code stays warm per key: a run with a known key does no compiling, hashing or
signature work. UDF errors, bad requests and unencodable results are answered as data; only a
broken stream (a frame cut short, impossible lengths), a request pipe at its end or a `shutdown`
ends the worker, at once and with every process its runs started (see `_lifetime`).
"""

from __future__ import annotations

import json
import os
import platform
import re
import signal
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, NoReturn

import fused
from fused import _thread_output
from fused._cloud_access import configure_anonymous_access
from fused._duckdb_extensions import install_hook as install_duckdb_hook
from fused._errors import (
    UDF_ERR_CANCELLED,
    UDF_ERR_MEMORY,
    UDF_ERR_PROTOCOL,
    UDF_ERR_RESULT,
    UDF_ERR_RUNTIME,
    UdfRuntimeError,
)
from fused._invoke import invoke
from fused._nesting import at_depth, in_engine_run
from fused._results import EncodedResult, encode_result
from fused._run_context import RunRequest, serving
from fused._secret_store import mask
from fused._shared_disk import load_env_file
from fused._tiles import make_tile
from fused._udf import Udf

from ._cancellation import Cancellation, RunCancelled
from ._framing import MAX_PAYLOAD_BYTES, FrameError, FrameReader, FrameWriter
from ._lifetime import ProtocolPipes, become_subreaper, end_worker, log, reap_adopted
from ._new_packages import notice_new_packages
from ._scheduling import run_as_batch
from ._warm_cache import ProtocolError, WarmCache

REQUEST_FD: Final = 3
RESPONSE_FD: Final = 4
SIDE_REQUEST_FD: Final = 5
PRELOAD_ENV: Final = "UDF_STUDIO_PRELOAD"
# The exit status of a worker whose pipes a UDF closed or replaced (docs/worker-protocol.md).
PIPES_BROKEN_STATUS: Final = 86
# A request's answer: its header (with the id) and its payload.
Answer = tuple[dict[str, Any], bytes]
_ID_IN_BROKEN_JSON = re.compile(rb'"id"\s*:\s*(-?\d+)')


def main() -> NoReturn:
    """Serve requests until end of file on fd 3 or fd 5 or a `shutdown` request, then exit."""
    # The engine owns the worker's lifetime (it closes fds 3 and 5 or sends shutdown); a Ctrl-C
    # in the terminal that started the engine reaches the whole process group and must not kill
    # a run.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # First, so every thread the worker and its libraries start inherits it.
    run_as_batch()
    subreaper = become_subreaper()
    try:
        pipes = ProtocolPipes(REQUEST_FD, RESPONSE_FD, SIDE_REQUEST_FD)
    except ValueError as exc:
        end_worker(2, str(exc))
    reader = FrameReader(REQUEST_FD)
    side_reader = FrameReader(SIDE_REQUEST_FD)
    writer = FrameWriter(RESPONSE_FD)
    writer.write(
        {
            "op": "ready",
            "pid": os.getpid(),
            "python": platform.python_version(),
            "fused": fused.__version__,
            "subreaper": subreaper,
        }
    )
    # Before any library is imported: they read these settings once.
    configure_anonymous_access()
    install_duckdb_hook()
    preload(os.environ.get(PRELOAD_ENV, ""))
    _thread_output.install()
    worker = Worker(writer, pipes)
    dispatcher = Dispatcher(worker, reap=subreaper)
    # The side reader ends the process (end_worker) whatever the main thread is doing.
    threading.Thread(target=dispatcher.read_all, args=(side_reader, False), daemon=True).start()
    dispatcher.read_all(reader, True)


def preload(names: str) -> None:
    """Import the comma-separated modules so the first UDF that needs them does not wait."""
    for name in names.split(","):
        module = name.strip()
        if not module:
            continue
        try:
            __import__(module)
        except Exception as exc:  # a missing optional library must not stop the worker
            log(f"preload of {module} failed: {type(exc).__name__}: {exc}")


def refresh_environment() -> None:
    """Before each request: see packages installed meanwhile, and load the shared disk's `.env`
    into the environment when it changed."""
    notice_new_packages()
    try:
        load_env_file()
    except Exception as exc:  # a broken .env must not stop runs
        log(f"loading the shared .env failed: {type(exc).__name__}: {exc}")


class Dispatcher:
    """Reads requests and decides which thread serves each."""

    def __init__(self, worker: Worker, *, reap: bool = False):
        self._worker = worker
        self._lock = threading.Lock()
        # Requests being served and not yet answered; at none, adopted orphans are reaped.
        self._serving = 0
        self._reap = reap

    def read_all(self, reader: FrameReader, serves: bool) -> NoReturn:
        """Route every frame of one request pipe until it ends, then end the worker. `serves`:
        this thread serves the runs it reads itself (the main thread); else each gets a thread."""
        status, reason = 0, None
        try:
            self._route_all(reader, serves)
        except FrameError as exc:
            status, reason = 1, f"request stream broken: {exc}"
        except (OSError, ValueError) as exc:  # a request pipe or fd 4 failed under the reader
            status, reason = 1, f"request or answer pipe failed: {exc}"
        damage = self._worker.pipes.damage()
        if damage is not None:
            end_worker(PIPES_BROKEN_STATUS, f"{damage} by a UDF: exiting")
        end_worker(status, reason)

    def _route_all(self, reader: FrameReader, serves: bool) -> None:
        while True:
            frame = reader.read()
            if frame is None:
                return
            request = self._worker.parse(frame[0])
            if request is None:
                continue
            op = request.get("op")
            if op == "shutdown":
                return
            if op == "load":
                self._worker.load(request)
            elif op == "cancel":
                self._worker.cancel(request)
            else:
                with self._lock:
                    self._serving += 1
                if serves:
                    self.serve(request)
                else:
                    threading.Thread(target=self.serve, args=(request,), daemon=True).start()

    def serve(self, request: dict[str, Any]) -> None:
        """Answer one run or describe request, in the calling thread."""
        try:
            self._worker.handle(request)
        except RunCancelled:
            pass  # a cancel that arrived as the run ended: its answer is already written
        except OSError as exc:  # the answer could not be written: no later one could either
            damage = self._worker.pipes.damage()
            if damage is not None:
                end_worker(PIPES_BROKEN_STATUS, f"{damage} by a UDF: exiting")
            end_worker(1, f"cannot answer the engine: {exc}")
        finally:
            with self._lock:
                self._serving -= 1
                if self._serving == 0 and self._reap:
                    reap_adopted()


class Worker:
    """Handles requests and writes their responses."""

    def __init__(self, writer: FrameWriter, pipes: ProtocolPipes) -> None:
        self._writer = writer
        self.pipes = pipes
        self._cache = WarmCache()
        self._cancellation = Cancellation()
        self._handlers: dict[str, Callable[[object, dict[str, Any]], Answer]] = {
            "run": self._run,
            "describe": self._describe,
        }

    def parse(self, header: bytes) -> dict[str, Any] | None:
        """A request's header as a dict; malformed ones are answered here and give None."""
        try:
            request = json.loads(header)
        except (ValueError, RecursionError) as exc:
            self._protocol_error(_id_from_broken(header), f"request header is not JSON: {exc}")
            return None
        if not isinstance(request, dict):
            self._protocol_error(None, "request header must be a JSON object")
            return None
        return request

    def handle(self, request: dict[str, Any]) -> None:
        """Answer one run or describe request."""
        op = request.get("op")
        request_id = request.get("id")
        handler = self._handlers.get(op) if isinstance(op, str) else None
        if handler is None:
            self._protocol_error(request_id, f"unknown op {op!r}")
        elif not _is_id(request_id):
            self._protocol_error(None, f"{op} request has no valid id")
        else:
            try:
                refresh_environment()
                header, payload = handler(request_id, request)
                self._answer(header, payload)
            except ProtocolError as exc:
                self._protocol_error(request_id, str(exc))

    def load(self, request: dict[str, Any]) -> None:
        """Answer `load`: the CPU time this process has used and (where the system says) how many
        of its other threads are running or ready to run now, which together tell runs that wait
        from runs that compute, even on a machine crowded by other processes."""
        request_id = request.get("id")
        if not _is_id(request_id):
            self._protocol_error(None, "load request has no valid id")
            return
        answer: dict[str, Any] = {"id": request_id, "ok": True, "cpuSeconds": time.process_time()}
        runnable = runnable_threads()
        if runnable is not None:
            answer["runnableThreads"] = runnable
        self._writer.write(answer)

    def cancel(self, request: dict[str, Any]) -> None:
        """Interrupt the run named by `target` (no answer: the run itself answers, cancelled)."""
        target = request.get("target")
        if _is_id(target):
            self._cancellation.cancel(target)

    def _run(self, request_id: object, request: dict[str, Any]) -> Answer:
        header, payload = execute_run(self._cache, request, self._cancellation, request_id)
        return {"id": request_id, **header}, payload

    def _describe(self, request_id: object, request: dict[str, Any]) -> Answer:
        with _thread_output.captured():
            try:
                udf = self._cache.udf_for(request.get("udf"))
                response = describe(udf)
            except UdfRuntimeError as exc:
                response = {"ok": False, "error": _masked(exc.to_data())}
        return {"id": request_id, **response}, b""

    def _answer(self, header: dict[str, Any], payload: bytes = b"") -> None:
        """Write a run's or describe's answer, unless its UDF broke the pipes: then no answer
        can be trusted to arrive, and no later request to be read, so the worker ends."""
        damage = self.pipes.damage()
        if damage is not None:
            end_worker(PIPES_BROKEN_STATUS, f"{damage} by a UDF: exiting")
        self._writer.write(header, payload)

    def _protocol_error(self, request_id: object, message: str) -> None:
        if not _is_id(request_id):
            log(f"malformed request without an id: {message}")
            return
        error = UdfRuntimeError(message, code=UDF_ERR_PROTOCOL)
        self._writer.write({"id": request_id, "ok": False, "error": error.to_data()})


def execute_run(
    cache: WarmCache,
    request: Mapping[str, Any],
    cancellation: Cancellation | None = None,
    request_id: object = None,
) -> tuple[dict[str, Any], bytes]:
    """Run one `run` request: the response header (without the id) and the encoded payload.

    Shared by the worker and the cluster's tasks (`udf_studio_cluster`), so a UDF answers the
    same wherever it runs. Raises `ProtocolError` for a malformed request.
    """
    params = _field(request, "params", dict, {})
    tile = _field(request, "tile", dict, None)
    formats = _field(request, "formats", list, [])
    defaults = _field(request, "defaults", dict, {})
    depth = request.get("depth", 0)
    run_id = _field(request, "runId", str, None)
    served = _run_request(_field(request, "context", dict, {}))
    if not all(isinstance(name, str) for name in formats):
        raise ProtocolError("formats must be a list of strings")
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        raise ProtocolError("depth must be a non-negative integer")
    started = time.perf_counter()
    encoded: EncodedResult | None = None
    error: dict[str, Any] | None = None
    with _thread_output.captured() as (out, err):
        try:
            if cancellation is not None:
                cancellation.started(request_id)
            udf = cache.udf_for(request.get("udf"))
            coordinates = None
            if tile is not None:
                coordinates = make_tile(tile.get("x"), tile.get("y"), tile.get("z"))
            # durationMs is the call plus encoding, not executing new code.
            started = time.perf_counter()
            with at_depth(depth), in_engine_run(run_id), serving(served):
                result = invoke(udf, (), params, coordinates)
            encoded = encode_result(result, formats, defaults, coordinates)
            if len(encoded.payload) > MAX_PAYLOAD_BYTES:
                raise UdfRuntimeError("the result is too large for one frame", code=UDF_ERR_RESULT)
        except (ProtocolError, KeyboardInterrupt):
            raise
        except UdfRuntimeError as exc:
            error = exc.to_data()
        except RunCancelled:
            error = UdfRuntimeError("the run was cancelled", code=UDF_ERR_CANCELLED).to_data()
        except MemoryError as exc:
            error = _unexpected(exc, UDF_ERR_MEMORY)
        except BaseException as exc:  # SystemExit from UDF code, or a bug: answer, keep serving
            error = _unexpected(exc, UDF_ERR_RUNTIME)
        finally:
            if cancellation is not None:
                cancellation.finished(request_id)
            duration = (time.perf_counter() - started) * 1000.0
    # A secret the UDF printed or raised is masked before it reaches the engine's answers and logs.
    stdout, stderr = mask(out.getvalue()), mask(err.getvalue())
    if encoded is None:
        failure = {"ok": False, "stdout": stdout, "stderr": stderr, "durationMs": duration}
        return {**failure, "error": _masked(error)}, b""
    header = {
        "ok": True,
        "format": encoded.format,
        "contentType": encoded.content_type,
        "kind": encoded.kind,
        "empty": encoded.empty,
        "cacheMaxAge": udf.cache_max_age,
        "stdout": stdout,
        "stderr": stderr,
        "durationMs": duration,
    }
    return header, encoded.payload


def _run_request(context: Mapping[str, Any]) -> RunRequest:
    """The request a run serves (`fused.context`): its headers, and whether it is batch work."""
    headers = context.get("headers", {})
    batch = context.get("batch", False)
    if not isinstance(headers, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in headers.items()
    ):
        raise ProtocolError("context.headers must be an object of strings")
    if not isinstance(batch, bool):
        raise ProtocolError("context.batch must be a boolean")
    return RunRequest(headers, batch)


def runnable_threads() -> int | None:
    """Threads of this process but the caller running or ready to run (Linux), else None."""
    me = str(threading.get_native_id())
    count = 0
    try:
        for task in os.scandir("/proc/self/task"):
            if task.name == me:
                continue
            text = Path(task.path, "stat").read_text(encoding="ascii", errors="replace")
            count += text[text.rindex(")") + 2] == "R"
    except (OSError, ValueError, IndexError):
        return None
    return count


def describe(udf: Udf) -> dict[str, Any]:
    """The `describe` answer for a UDF (without the id)."""
    plan = udf.prepared().plan
    parameters = []
    for spec in plan.parameters:
        required = spec.required and spec.name not in udf.parameters
        default = udf.parameters.get(spec.name, None if spec.required else spec.default)
        parameters.append(
            {
                "name": spec.name,
                "annotation": spec.annotation,
                "default": _jsonable(default),
                "required": required,
            }
        )
    return {
        "ok": True,
        "entrypoint": udf.entrypoint,
        "takesKwargs": plan.takes_kwargs,
        "tileParam": plan.tile_param,
        "parameters": parameters,
        "cacheMaxAge": udf.cache_max_age,
    }


def _jsonable(value: object) -> object:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)
    return value


def _field(request: Mapping[str, Any], name: str, kind: type, default: Any) -> Any:
    value = request.get(name)
    if value is None:
        return default
    if not isinstance(value, kind):
        json_kind = "object" if kind is dict else "array" if kind is list else "string"
        raise ProtocolError(f"{name} must be a JSON {json_kind}")
    return value


def _unexpected(exc: BaseException, code: str) -> dict[str, Any]:
    return UdfRuntimeError(
        str(exc) or type(exc).__name__, code=code, exception_class=type(exc).__name__
    ).to_data()


def _masked(error: dict[str, Any] | None) -> dict[str, Any] | None:
    """The protocol's error object with stored secret values masked in its texts."""
    if error is None:
        return None
    texts = ("message", "traceback")
    return {**error, **{key: mask(error[key]) for key in texts if isinstance(error.get(key), str)}}


def _is_id(value: object) -> bool:
    return isinstance(value, int | str) and not isinstance(value, bool)


def _id_from_broken(header: bytes) -> int | None:
    found = _ID_IN_BROKEN_JSON.search(header)
    return int(found.group(1)) if found else None
