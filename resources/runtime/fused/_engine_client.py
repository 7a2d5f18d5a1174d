"""Running a UDF through the running UDF Studio engine, from a plain Python process.

A running engine records itself in `$UDF_STUDIO_HOME/engine.json` (`url`, `pid`) and keeps its
private token in `$UDF_STUDIO_HOME/credentials`. When one answers, `fused.run(...)` and
`udf(...)` without an engine send the UDF's code, headers and JSON parameters there as a code run
(`POST /server/v1/realtime/local/api/v1/run/udf[/tiles/{z}/{x}/{y}]`), echo the run's stdout and
stderr when it fails or the call is verbose (as the official client shows them), and decode the
response into the value a run in this process would return. Errors come back as the same
`UdfRuntimeError` subclasses, located in this process's files.

`run_on_engine` answers "not sent" (and the caller runs the UDF in this process) with no engine,
or when the code or arguments cannot travel as JSON; a one-line note on stderr says so. Workers
never get here (`_call.run_call`). This module is imported on the first such call, and uses only
the standard library: `http.client` once an engine.json is found, pandas, geopandas and numpy
only to decode a result that needs them.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ._arguments import format_annotation
from ._cache_lock import pid_alive
from ._errors import (
    EngineUnavailableError,
    UdfLoadError,
    UdfMissingPackageError,
    UdfParameterError,
    UdfResultError,
    UdfRuntimeError,
    UdfTileError,
)
from ._module import function_source
from ._nesting import (
    PARENT_RUN_HEADER,
    RECURSION_HEADER,
    engine_run_id,
    in_run,
    recursion_header,
)
from ._shared_disk import studio_home

if TYPE_CHECKING:
    from ._binding import CallPlan
    from ._tiles import TileCoord
    from ._udf_like import UdfLike

CODE_RUN_PATH: Final = "/server/v1/realtime/local/api/v1/run/udf"
# One format for every result kind, each decodable back into the value a local run returns:
# tables and geotables (and None) as parquet, arrays as npy, then JSON, text, HTML and bytes.
RESULT_FORMATS: Final = "parquet,npy,json,text,html,bytes"
CONNECT_TIMEOUT_S: Final = 1.0
DEFAULT_TIME_LIMIT_S: Final = 120.0
# The engine answers a run that passes its time limit itself; the margin covers queueing.
QUEUE_MARGIN_S: Final = 30.0
# The engine's request body limit (src-main/engine/server/request-body.ts).
MAX_BODY_BYTES: Final = 5 * 1024 * 1024
# How long "no engine answers at that URL" is believed before engine.json is checked again.
RECHECK_AFTER_S: Final = 10.0

_PARQUET: Final = "application/vnd.apache.parquet"
_NPY_MAGIC: Final = b"\x93NUMPY"
# Errors that are the engine refusing the request, not the UDF failing.
_ENGINE_CODES: Final = frozenset(
    {
        "UDF_ERR_AUTH_REQUIRED",
        "UDF_ERR_HOST",
        "UDF_ERR_ROUTE",
        "UDF_ERR_METHOD",
        "UDF_ERR_BAD_REQUEST",
        "UDF_ERR_USAGE",
        "UDF_ERR_BODY_TOO_LARGE",
        "UDF_ERR_URI_TOO_LONG",
        "UDF_ERR_ENGINE_CLOSED",
        "UDF_ERR_RUNTIME_MISSING",
    }
)
_ERROR_CLASSES: Final[Mapping[str, type[UdfRuntimeError]]] = {
    "UDF_ERR_PARAM": UdfParameterError,
    "UDF_ERR_UNKNOWN_PARAM": UdfParameterError,
    "UDF_ERR_MISSING_PARAM": UdfParameterError,
    "UDF_ERR_BAD_TILE": UdfTileError,
    "UDF_ERR_TILE_INCOMPLETE": UdfTileError,
    "UDF_ERR_SYNTAX": UdfLoadError,
    "UDF_ERR_IMPORT": UdfLoadError,
    "UDF_ERR_MISSING_PACKAGE": UdfMissingPackageError,
    "UDF_ERR_NO_ENTRYPOINT": UdfLoadError,
    "UDF_ERR_FORMAT": UdfResultError,
    "UDF_ERR_RESULT": UdfResultError,
}
# A frame of inline code in a worker's traceback: `<udf:NAME>` or a header's `<udf:NAME:module>`.
_INLINE_FRAME = re.compile(r'File "<udf:([^">]*?)(?::([A-Za-z_][A-Za-z0-9_]*))?>", line (\d+)')


@dataclass(frozen=True, slots=True)
class EngineEndpoint:
    """A running engine that answered `/healthz`, and the private token to call it with."""

    url: str
    host: str
    port: int
    pid: int
    token: str


@dataclass(frozen=True, slots=True)
class _Verdict:
    """What the last look at one version of engine.json found (replaced whole, so thread-safe)."""

    key: tuple[str, int, int, int]
    endpoint: EngineEndpoint | None
    reason: str
    checked_at: float


@dataclass(frozen=True, slots=True)
class Origin:
    """Where the code sent to the engine lives here, to report errors as a local run does.

    `file` is the file the UDF's code came from (None for inline code), `offset` the lines before
    the code in it (a script's UDF sends only its function), `headers` the header files by module.
    """

    file: str | None
    offset: int
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    content_type: str
    metadata: Mapping[str, Any]
    payload: bytes


class RunHere(Exception):
    """This call cannot go to the engine; the message says why (shown in the note)."""


class Refused(Exception):
    """The engine's port refused the connection: nothing was sent."""


_verdict: _Verdict | None = None
_noted: set[str] = set()


def find_engine() -> tuple[EngineEndpoint | None, str]:
    """The running engine to send runs to, or None and why there is none.

    engine.json must exist, its pid be alive and `GET {url}/healthz` answer 200 within about
    1 s. A healthy engine is remembered for as long as engine.json is unchanged and its process
    lives; a silent one is asked again after `RECHECK_AFTER_S`.
    """
    global _verdict
    path = studio_home() / "engine.json"
    try:
        stat = path.stat()
    except OSError:
        return None, "no UDF Studio engine is running"
    key = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    known = _verdict
    if known is not None and known.key == key:
        endpoint = known.endpoint
        if endpoint is not None and pid_alive(endpoint.pid):
            return endpoint, ""
        if endpoint is None and time.monotonic() - known.checked_at < RECHECK_AFTER_S:
            return None, known.reason
    found, reason = _check_engine(path)
    _verdict = _Verdict(key, found, reason, time.monotonic())
    return found, reason


def forget_engine() -> None:
    """Forget what the last look for an engine found (the next call looks again)."""
    global _verdict
    _verdict = None


def run_on_engine(
    udf: UdfLike,
    args: Sequence[object],
    params: Mapping[str, object],
    tile: TileCoord | None,
    *,
    cache: bool = True,
    cache_max_age: int | str | None = None,
    quiet: bool = False,
) -> tuple[bool, Any]:
    """Run a call on the running engine: `(True, result)`, or `(False, None)` to run it here.

    Raises `UdfRuntimeError` (and its subclasses) as a local run would, and
    `EngineUnavailableError` naming the engine's URL when the engine refuses the request, times
    out or drops the connection during the run.
    """
    endpoint, reason = find_engine()
    if endpoint is None:
        if not quiet:
            note_once("no-engine", f"fused: {reason}; running in this process")
        return False, None
    try:
        body, origin = _code_run_body(udf, args, params, tile, cache)
    except RunHere as why:
        if not quiet:
            note_once(str(why), f"fused: {why}; running {udf.name!r} in this process")
        return False, None
    target = _target(tile, cache, cache_max_age)
    try:
        response = _post(endpoint, target, body)
    except Refused:
        # The engine went away since it was found: look again (it may have restarted elsewhere).
        forget_engine()
        endpoint, reason = find_engine()
        if endpoint is None:
            note_once("no-engine", f"fused: {reason}; running in this process")
            return False, None
        try:
            response = _post(endpoint, target, body)
        except Refused:
            raise EngineUnavailableError(
                f"the UDF Studio engine at {endpoint.url} refused the connection"
            ) from None
    echo_output(response.metadata, params, failed=not 200 <= response.status < 300)
    if 200 <= response.status < 300:
        if response.status == 204:
            return True, None
        return True, decode_result(response.content_type, response.payload)
    raise error_from_response(endpoint, response, origin)


def decode_result(content_type: str, payload: bytes) -> Any:
    """The Python value of a run's response body, by its content type.

    GeoParquet becomes a GeoDataFrame and other parquet a DataFrame, npy a numpy array, JSON its
    value, text and HTML a str; anything else is bytes. An empty parquet or JSON body is None.
    """
    media, _, options = content_type.partition(";")
    media = media.strip().lower()
    if media == _PARQUET:
        return _read_parquet(payload) if payload else None
    if media == "application/json" or media.endswith("+json"):
        return json.loads(payload) if payload else None
    if media.startswith("text/"):
        return _decode_text(payload, options)
    if media in ("application/x-numpy-data", "application/octet-stream") and payload.startswith(
        _NPY_MAGIC
    ):
        np = import_module("numpy")
        return np.load(io.BytesIO(payload), allow_pickle=False)
    return payload


def _check_engine(path: Path) -> tuple[EngineEndpoint | None, str]:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, f"{path} cannot be read, so no UDF Studio engine can be reached"
    if not isinstance(info, dict):
        info = {}
    url, pid = info.get("url"), info.get("pid")
    address = _http_address(url) if isinstance(url, str) else None
    if not isinstance(url, str) or address is None:
        return None, f"{path} names no engine URL"
    if not isinstance(pid, int) or isinstance(pid, bool) or not pid_alive(pid):
        return None, (
            f"no UDF Studio engine is running ({path} names process {pid}, which has exited)"
        )
    credentials = path.parent / "credentials"
    token = _read_token(credentials)
    if token is None:
        return None, f"the engine's credentials file ({credentials}) cannot be read"
    if not _healthy(*address, token):
        return None, f"the UDF Studio engine at {url} does not answer"
    return EngineEndpoint(url.rstrip("/"), address[0], address[1], pid, token), ""


def _http_address(url: str) -> tuple[str, int] | None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "http" or not parts.hostname or port is None:
        return None
    return parts.hostname, port


def _read_token(path: Path) -> str | None:
    try:
        token = json.loads(path.read_text(encoding="utf-8")).get("access_token")
    except (OSError, ValueError, AttributeError):
        return None
    return token if isinstance(token, str) and token else None


def _healthy(host: str, port: int, token: str) -> bool:
    import http.client

    connection = http.client.HTTPConnection(host, port, timeout=CONNECT_TIMEOUT_S)
    try:
        # With the token: a team server (`serve --host 0.0.0.0`) answers /healthz only to it.
        connection.request("GET", "/healthz", headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        answer = json.loads(response.read(65536)) if response.status == 200 else None
    except (OSError, http.client.HTTPException, ValueError):
        return False
    finally:
        connection.close()
    return isinstance(answer, dict) and answer.get("status") == "ok"


def _code_run_body(
    udf: UdfLike,
    args: Sequence[object],
    params: Mapping[str, object],
    tile: TileCoord | None,
    cache: bool,
) -> tuple[bytes, Origin]:
    """The code run's JSON body and where its code lives here; `RunHere` when it cannot go."""
    udf_step, code = call_step_udf(udf, args, params, tile)
    step = {"type": "udf", "udf": udf_step}
    body = json.dumps(
        {
            "step_config": json.dumps(step, allow_nan=False),
            "format": RESULT_FORMATS,
            "cache": cache,
        },
        allow_nan=False,
    ).encode("utf-8")
    if len(body) > MAX_BODY_BYTES:
        raise RunHere(
            f"the run's code and parameters ({len(body) // 1024} KiB) are over the engine's "
            f"{MAX_BODY_BYTES // (1024 * 1024)} MiB request limit"
        )
    return body, _origin(udf, code)


def run_query(
    params: Mapping[str, object], cache: bool, cache_max_age: int | str | None
) -> dict[str, str]:
    """The query of a GET run (a saved UDF or a token URL): formats this module decodes, cache
    settings as Fused's API reads them, and each parameter as text (JSON for other values)."""
    query = {"format": RESULT_FORMATS}
    if not cache:
        query["cache_max_age"] = "0"
    elif cache_max_age is not None:
        query["cache_max_age"] = str(cache_max_age)
    for name, value in params.items():
        plain = json_value(value, name, "parameter")
        query[name] = plain if isinstance(plain, str) else json.dumps(plain)
    return query


def udf_code(udf: UdfLike) -> str:
    """The UDF's source to send: its code, or its function's source; `RunHere` when neither."""
    code = udf.code
    if not code.strip():
        code = function_source(udf._fn)
        if not code.strip():
            raise RunHere("the UDF's source code is not available to send to the engine")
    return code


def step_udf(udf: UdfLike, code: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The `udf` object of a `step_config`: what the engine needs to run this UDF's code."""
    try:
        metadata = json.loads(json.dumps(udf.metadata, allow_nan=False))
    except (TypeError, ValueError):
        metadata = {}
    return {
        "type": "geopandas_v2",
        "name": udf.name,
        "entrypoint": udf.entrypoint,
        "parameters": dict(parameters),
        "metadata": metadata,
        "code": code,
        "headers": [
            {"module_name": header.module_name, "source_code": header.source_code}
            for header in udf.headers
        ],
    }


def call_step_udf(
    udf: UdfLike, args: Sequence[object], params: Mapping[str, object], tile: TileCoord | None
) -> tuple[dict[str, Any], str]:
    """`step_udf` for one call: the UDF's parameters with the call's arguments (named, as JSON),
    and the code it sends; `RunHere` when the code or the arguments cannot travel."""
    code = udf_code(udf)
    named = _named_arguments(udf.prepared().plan, args, params, tile)
    parameters = json_object({**udf.parameters, **named}, "parameter")
    return step_udf(udf, code, parameters), code


def origin_of(udf: UdfLike, code: str) -> Origin:
    """Where the code sent lives here, to report errors in this process's files."""
    return _origin(udf, code)


def error_from_data(error: Mapping[str, Any], origin: Origin) -> UdfRuntimeError:
    """The exception for an error object of the engine (a UDF's failure), located here."""
    line = error.get("line")
    file, line, traceback_text = _locate(
        error.get("file") if isinstance(error.get("file"), str) else None,
        line if isinstance(line, int) and not isinstance(line, bool) else None,
        str(error.get("traceback") or ""),
        origin,
    )
    code = str(error.get("code") or "UDF_ERR_RUNTIME")
    exception_class = error.get("exceptionClass")
    missing = error.get("missingPackage")
    return _ERROR_CLASSES.get(code, UdfRuntimeError)(
        str(error.get("message") or ""),
        code=code,
        exception_class=exception_class if isinstance(exception_class, str) else None,
        file=file,
        line=line,
        traceback_text=traceback_text,
        missing_package=dict(missing) if isinstance(missing, Mapping) else None,
    )


def _named_arguments(
    plan: CallPlan, args: Sequence[object], params: Mapping[str, object], tile: TileCoord | None
) -> dict[str, object]:
    """Positional arguments given the names `bind` would give them (HTTP has only names)."""
    named = dict(params)
    if not args:
        return named
    taken: set[str] = set()
    if tile is not None:
        if plan.tile_receiver is not None:
            taken.add(plan.tile_receiver.name)
        taken.update(name for name in ("x", "y", "z") if name in plan.by_name)
    free = [spec for spec in plan.positional if spec.name not in taken]
    if plan.has_positional_only or len(args) > len(free):
        raise RunHere("positional arguments that have no parameter name cannot be sent")
    for spec, value in zip(free, args, strict=False):
        if spec.name in named:
            raise RunHere(f"parameter {spec.name!r} is given both by position and by name")
        named[spec.name] = value
    return named


def json_object(values: Mapping[str, object], what: str) -> dict[str, Any]:
    return {name: json_value(value, name, what) for name, value in values.items()}


def json_value(value: object, name: str, what: str) -> Any:
    """`value` as plain JSON types; `RunHere` naming the parameter when it has none."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
    elif isinstance(value, list | tuple):
        return [json_value(item, name, what) for item in value]
    elif isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            return {key: json_value(item, name, what) for key, item in value.items()}
    else:
        np = sys.modules.get("numpy")
        if np is not None and isinstance(value, np.bool_ | np.integer | np.floating | np.str_):
            return json_value(value.item(), name, what)
    # The type by its public name (`pandas.DataFrame`, not where pandas defines it).
    shown = repr(value) if isinstance(value, float) else format_annotation(type(value))
    raise RunHere(f"{what} {name!r} ({shown}) cannot be sent to the engine as JSON")


def _origin(udf: UdfLike, code: str) -> Origin:
    headers = {header.module_name: header.path for header in udf.headers if header.path}
    if udf.path:
        return Origin(udf.path, 0, headers)  # the code is the whole file
    fn_code = getattr(udf._fn, "__code__", None)
    filename = getattr(fn_code, "co_filename", "<unknown>")
    if fn_code is None or filename.startswith("<"):
        return Origin(None, 0, headers)  # inline code: a local run reports no file either
    # A script's UDF: the code sent is its function's source, from its first decorator line.
    return Origin(filename, int(fn_code.co_firstlineno) - 1, headers)


def _target(tile: TileCoord | None, cache: bool, cache_max_age: int | str | None) -> str:
    path = CODE_RUN_PATH if tile is None else f"{CODE_RUN_PATH}/tiles/{tile.z}/{tile.x}/{tile.y}"
    if not cache:
        return f"{path}?cache=false"
    if cache_max_age is not None:
        return f"{path}?cache_max_age={cache_max_age}"  # checked: digits and one of s, m, h, d
    return path


def _post(endpoint: EngineEndpoint, target: str, body: bytes) -> Response:
    return request(endpoint, "POST", target, body)


def time_limit_s() -> float:
    """The run time limit the engine gave its workers (`serve --timeout`), else Fused's 120 s."""
    try:
        limit = float(os.environ.get("UDF_STUDIO_TIME_LIMIT_S", ""))
    except ValueError:
        return DEFAULT_TIME_LIMIT_S
    return limit if math.isfinite(limit) and limit > 0 else DEFAULT_TIME_LIMIT_S


def request(
    endpoint: EngineEndpoint,
    method: str,
    target: str,
    body: bytes | None = None,
    *,
    timeout: float | None = None,
) -> Response:
    """One request to the engine with the private token (and, from a UDF, its nesting depth).

    Raises `Refused` when nothing listens, `EngineUnavailableError` for other failures.
    """
    import http.client

    limit = time_limit_s()
    timeout = limit + QUEUE_MARGIN_S if timeout is None else timeout
    connection = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=CONNECT_TIMEOUT_S)
    try:
        try:
            connection.connect()
        except ConnectionRefusedError as exc:
            raise Refused from exc
        except TimeoutError as exc:
            raise EngineUnavailableError(
                f"the UDF Studio engine at {endpoint.url} did not accept a connection "
                f"within {CONNECT_TIMEOUT_S:g} s"
            ) from exc
        except OSError as exc:
            raise EngineUnavailableError(
                f"cannot connect to the UDF Studio engine at {endpoint.url}: {exc}"
            ) from exc
        if connection.sock is not None:
            connection.sock.settimeout(timeout)
        headers = {"Authorization": f"Bearer {endpoint.token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if in_run():
            headers[RECURSION_HEADER] = recursion_header()
        run_id = engine_run_id()
        if run_id is not None:
            headers[PARENT_RUN_HEADER] = run_id
        try:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except TimeoutError as exc:
            raise EngineUnavailableError(
                f"the UDF Studio engine at {endpoint.url} did not answer within "
                f"{timeout:g} s (the UDF time limit is {limit:g} s)"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise EngineUnavailableError(
                f"lost the connection to the UDF Studio engine at {endpoint.url} during the run: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    finally:
        connection.close()
    if (response.getheader("content-encoding") or "").lower() == "gzip":
        import gzip

        payload = gzip.decompress(payload)
    return Response(
        response.status,
        response.getheader("content-type") or "",
        _metadata(response.getheader("x-fused-metadata")),
        payload,
    )


def _metadata(header: str | None) -> Mapping[str, Any]:
    if not header:
        return {}
    try:
        value = json.loads(header)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def echo_output(
    metadata: Mapping[str, Any], params: Mapping[str, object], *, failed: bool
) -> None:
    """Print the UDF's stdout and stderr here when the run failed or the call asked for them
    (`verbose=True`, else `fused.options.verbose_udf_runs`), as the official client does."""
    if not (failed or wants_output(params)):
        return
    for key, stream in (("stdout", sys.stdout), ("stderr", sys.stderr)):
        text = metadata.get(key)
        if isinstance(text, str) and text:
            stream.write(text)
            stream.flush()


def wants_output(params: Mapping[str, object]) -> bool:
    """Whether a call shows its UDF's output: its `verbose` argument, else the option."""
    verbose = params.get("verbose")
    if verbose is None:
        from ._options import options

        return bool(options.verbose_udf_runs)
    return bool(verbose)


def error_object(payload: bytes) -> dict[str, Any] | None:
    """The `error` object of the engine's error body (`{"error": {...}}`); None without one."""
    try:
        error = json.loads(payload).get("error")
    except (ValueError, AttributeError):
        return None
    return error if isinstance(error, dict) else None


def error_from_response(endpoint: EngineEndpoint, response: Response, origin: Origin) -> Exception:
    error = error_object(response.payload)
    if error is None:
        return EngineUnavailableError(
            f"the UDF Studio engine at {endpoint.url} answered {response.status} "
            "without an error description"
        )
    code = str(error.get("code") or "UDF_ERR_RUNTIME")
    message = str(error.get("message") or "")
    if code in _ENGINE_CODES:
        if code == "UDF_ERR_AUTH_REQUIRED":
            forget_engine()  # the credentials may have changed: read them again next time
            message += f" (the token was read from {studio_home() / 'credentials'})"
        return EngineUnavailableError(
            f"the UDF Studio engine at {endpoint.url} refused the run "
            f"({response.status} {code}): {message}"
        )
    return error_from_data(error, origin)


def _locate(
    file: str | None, line: int | None, traceback_text: str, origin: Origin
) -> tuple[str | None, int | None, str]:
    """The error's file, line and traceback in this process's terms (the worker ran the code
    inline, as `<udf:NAME>`): a script's line numbers are shifted back to the script's."""
    last: tuple[str | None, bool] | None = None

    def rewrite(match: re.Match[str]) -> str:
        nonlocal last
        module, number = match.group(2), int(match.group(3))
        if module is None:
            last = (origin.file, True)
            if origin.file is None:
                return match.group(0)
            return f'File "{origin.file}", line {number + origin.offset}'
        header_file = origin.headers.get(module)
        last = (header_file, False)
        if header_file is None:
            return match.group(0)
        return f'File "{header_file}", line {number}'

    traceback_text = _INLINE_FRAME.sub(rewrite, traceback_text)
    if file is not None or line is None:
        return file, line, traceback_text
    if last is None or last[1]:
        return origin.file, line + origin.offset, traceback_text
    return last[0], line, traceback_text


def _read_parquet(payload: bytes) -> Any:
    # One thread, from an Arrow buffer: pyarrow's pool threads may still be finishing a read
    # (closing a Python file object) when it returns, and one still at work at interpreter exit
    # aborts the script ("terminate called without an active exception"; apache/arrow#33975).
    pa = import_module("pyarrow")
    parquet = import_module("pyarrow.parquet")
    schema = parquet.read_schema(pa.BufferReader(payload))
    if schema.metadata and b"geo" in schema.metadata:
        return import_module("geopandas").read_parquet(pa.BufferReader(payload), use_threads=False)
    return import_module("pandas").read_parquet(pa.BufferReader(payload), use_threads=False)


def _decode_text(payload: bytes, options: str) -> str:
    charset = "utf-8"
    for option in options.split(";"):
        name, _, value = option.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip().strip('"').lower()
    if charset in ("utf-8", "utf8"):
        return payload.decode("utf-8", "surrogatepass")
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def note_once(key: str, text: str) -> None:
    if key in _noted:
        return
    _noted.add(key)
    print(text, file=sys.stderr)
