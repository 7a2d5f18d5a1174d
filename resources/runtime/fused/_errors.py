"""Typed errors of loading and running UDFs, and where in the UDF's own files they happened.

Every error a UDF run can end with carries a stable code (the worker protocol's table) so it can
cross to the engine as data; callers in Python get the same information as attributes.

A traceback keeps the frames of UDF code: the UDF's own files and every file of code that
`fused.load` executed in this process (helper UDFs, GitHub folders, local folders), so an error
inside a helper shows where in the helper it happened; the runtime's and libraries' frames are
left out. GitHub copies show as their github.com URL. An error of a nested run (`fused.run`
inside a UDF) is wrapped once: its class, message and code stay the inner ones, the message
names the inner UDF, and the traceback goes on with the inner UDF's frames after the call.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Collection
from typing import Any, Final

from . import types
from ._missing_module import fused_server_message, fused_server_module, missing_package
from ._network_hint import network_hint
from ._shared_disk import studio_home

UDF_ERR_SYNTAX: Final = "UDF_ERR_SYNTAX"
UDF_ERR_IMPORT: Final = "UDF_ERR_IMPORT"
UDF_ERR_MISSING_PACKAGE: Final = "UDF_ERR_MISSING_PACKAGE"
UDF_ERR_NO_ENTRYPOINT: Final = "UDF_ERR_NO_ENTRYPOINT"
UDF_ERR_PARAM: Final = "UDF_ERR_PARAM"
UDF_ERR_UNKNOWN_PARAM: Final = "UDF_ERR_UNKNOWN_PARAM"
UDF_ERR_MISSING_PARAM: Final = "UDF_ERR_MISSING_PARAM"
UDF_ERR_RUNTIME: Final = "UDF_ERR_RUNTIME"
UDF_ERR_MEMORY: Final = "UDF_ERR_MEMORY"
UDF_ERR_FORMAT: Final = "UDF_ERR_FORMAT"
UDF_ERR_RESULT: Final = "UDF_ERR_RESULT"
UDF_ERR_PROTOCOL: Final = "UDF_ERR_PROTOCOL"
UDF_ERR_CANCELLED: Final = "UDF_ERR_CANCELLED"
UDF_ERR_RECURSION: Final = "UDF_ERR_RECURSION"
# Raised by `fused.load` in Python only (the worker never reads folders); the same codes as the
# engine's table in src-shared/errors.ts.
UDF_ERR_BAD_FOLDER: Final = "UDF_ERR_BAD_FOLDER"
UDF_ERR_NODE_TEMPLATE: Final = "UDF_ERR_NODE_TEMPLATE"
UDF_ERR_NOT_FOUND: Final = "UDF_ERR_NOT_FOUND"
UDF_ERR_FETCH: Final = "UDF_ERR_FETCH"
UDF_ERR_REMOTE_FAILED: Final = "UDF_ERR_REMOTE_FAILED"
# A setting `fused.load` reads (settings.json's `githubClones`) is malformed.
UDF_ERR_SETTINGS: Final = "UDF_ERR_SETTINGS"
# Runs on a Dask cluster (`udf_studio_cluster`): the engine's table has them too.
UDF_ERR_WORKER_CRASHED: Final = "UDF_ERR_WORKER_CRASHED"
UDF_ERR_CLUSTER_UNREACHABLE: Final = "UDF_ERR_CLUSTER_UNREACHABLE"
UDF_ERR_CLUSTER_LOST: Final = "UDF_ERR_CLUSTER_LOST"
UDF_ERR_CLUSTER_FAILED: Final = "UDF_ERR_CLUSTER_FAILED"

ERROR_CODES: Final = frozenset(
    {
        UDF_ERR_SYNTAX,
        UDF_ERR_IMPORT,
        UDF_ERR_MISSING_PACKAGE,
        UDF_ERR_NO_ENTRYPOINT,
        UDF_ERR_PARAM,
        UDF_ERR_UNKNOWN_PARAM,
        UDF_ERR_MISSING_PARAM,
        UDF_ERR_RUNTIME,
        UDF_ERR_MEMORY,
        UDF_ERR_FORMAT,
        UDF_ERR_RESULT,
        UDF_ERR_PROTOCOL,
        UDF_ERR_CANCELLED,
        UDF_ERR_RECURSION,
        UDF_ERR_BAD_FOLDER,
        UDF_ERR_NODE_TEMPLATE,
        UDF_ERR_NOT_FOUND,
        UDF_ERR_FETCH,
        UDF_ERR_REMOTE_FAILED,
        UDF_ERR_SETTINGS,
        UDF_ERR_WORKER_CRASHED,
        UDF_ERR_CLUSTER_UNREACHABLE,
        UDF_ERR_CLUSTER_LOST,
        UDF_ERR_CLUSTER_FAILED,
    }
)

# Codes the engine reports for a run's failure outside the UDF (its limits, a remote), which a
# job's runs can meet through a remote engine.
UDF_ERR_TIMEOUT: Final = "UDF_ERR_TIMEOUT"
UDF_ERR_MEMORY_LIMIT: Final = "UDF_ERR_MEMORY_LIMIT"
UDF_ERR_REMOTE_UNREACHABLE: Final = "UDF_ERR_REMOTE_UNREACHABLE"
UDF_ERR_REMOTE_TIMEOUT: Final = "UDF_ERR_REMOTE_TIMEOUT"

# What a job tries again (its `max_retry`): the engine's jobs follow the same rule
# (`RETRYABLE_CODES` in src-shared/errors.ts, stated in docs/errors.md). A run that failed while
# it ran, in a way the next attempt may not repeat: the UDF raised, ran out of memory or time,
# its worker died, or the remote engine it ran on failed or was out of reach. A wrong request
# fails the same way every time, and a cancelled or too deep run is final.
RETRYABLE_CODES: Final = frozenset(
    {
        UDF_ERR_RUNTIME,
        UDF_ERR_MEMORY,
        UDF_ERR_MEMORY_LIMIT,
        UDF_ERR_TIMEOUT,
        UDF_ERR_WORKER_CRASHED,
        UDF_ERR_REMOTE_FAILED,
        UDF_ERR_REMOTE_UNREACHABLE,
        UDF_ERR_REMOTE_TIMEOUT,
    }
)


class UdfRuntimeError(types.UdfRuntimeError):
    """A UDF could not be loaded or run, or its result could not be encoded.

    `code` is one of the `UDF_ERR_*` codes; `message` is the bare message (for a UDF exception,
    `str(exception)`); `exception_class`, `file` and `line` locate the failure in the UDF's own
    files; `traceback_text` holds only the frames in those files. `str(error)` adds the location.
    It is the SDK's `fused.types.UdfRuntimeError` (a `RuntimeError`), whose
    `child_exception_class` is `exception_class`.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = UDF_ERR_RUNTIME,
        exception_class: str | None = None,
        file: str | None = None,
        line: int | None = None,
        traceback_text: str = "",
        missing_package: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, child_exception_class=exception_class)
        self.message = message
        self.code = code
        self.exception_class = exception_class
        self.file = file
        self.line = line
        self.traceback_text = traceback_text
        # For UDF_ERR_MISSING_PACKAGE: module, package, fusedVersion, inFusedImage, requirement.
        self.missing_package = missing_package
        # The UDF whose run (`run_call`) ended with this error; None until a run ends.
        self.udf_name: str | None = None

    def __str__(self) -> str:
        text = f"{self.exception_class}: {self.message}" if self.exception_class else self.message
        if self.line is not None:
            text += f" ({self.file or 'UDF code'}, line {self.line})"
        elif self.file:
            text += f" ({self.file})"
        return text

    def to_data(self) -> dict[str, Any]:
        """The error as the worker protocol's `error` object."""
        data: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "exceptionClass": self.exception_class,
            "file": self.file,
            "line": self.line,
            "traceback": self.traceback_text,
        }
        if self.missing_package is not None:
            data["missingPackage"] = self.missing_package
        return data


class UdfParameterError(UdfRuntimeError, TypeError):
    """A parameter is unknown, missing, or does not convert to its annotation.

    It is also a `TypeError`, as calling a function with bad arguments is in Python.
    """


class UdfTileError(UdfRuntimeError, ValueError):
    """Tile coordinates are partial or out of range (code `UDF_ERR_PARAM`)."""


class UdfLoadError(UdfRuntimeError):
    """UDF code or its folder could not be read, compiled or executed, or has no entry point."""


class UdfMissingPackageError(UdfLoadError, ImportError):
    """A UDF imports a module the runtime lacks (`UDF_ERR_MISSING_PACKAGE`).

    Also an `ImportError`, so UDF code that falls back when an optional import fails still does.
    """


class UdfResultError(UdfRuntimeError, types.UdfSerializationError):
    """A UDF's result has no requested format (`UDF_ERR_FORMAT`) or cannot be encoded (so it is
    the SDK's `fused.types.UdfSerializationError` too)."""


class EngineUnavailableError(RuntimeError):
    """The call needs an engine that this process does not have (remote engines, tokens)."""


class NotSupportedYetError(NotImplementedError):
    """A documented Fused form that UDF Studio does not handle yet."""


class NotLocalError(NotImplementedError):
    """A name of the Fused SDK that has no meaning on this machine (a Fused cloud service).

    The message names it and says why, and what to use instead where there is something.
    """


def public_file(filename: str | None) -> str | None:
    """The file to report: a real path, or None for inline code compiled as `<udf:...>`."""
    if filename is None or filename.startswith("<"):
        return None
    return filename


_udf_files: set[str] = set()
# Codes of a nested load's or run's error that the enclosing run keeps: they say why code did
# not load or run. The others (a parameter, a format, a UDF not found: HTTP 400, 406, 404)
# describe a call, and the enclosing UDF's code made that call: its run ends UDF_ERR_RUNTIME.
_KEPT_CODES: Final = frozenset(
    {
        UDF_ERR_SYNTAX,
        UDF_ERR_IMPORT,
        UDF_ERR_MISSING_PACKAGE,
        UDF_ERR_NO_ENTRYPOINT,
        UDF_ERR_MEMORY,
        UDF_ERR_RECURSION,
        UDF_ERR_BAD_FOLDER,
        UDF_ERR_NODE_TEMPLATE,
        UDF_ERR_FETCH,
        UDF_ERR_SETTINGS,
        UDF_ERR_REMOTE_FAILED,
        UDF_ERR_WORKER_CRASHED,
        UDF_ERR_CLUSTER_UNREACHABLE,
        UDF_ERR_CLUSTER_LOST,
        UDF_ERR_CLUSTER_FAILED,
    }
)
_NAMED_UDF = re.compile(r" \(in the UDF '[^']*'\)$")
_TRACEBACK_HEADER: Final = "Traceback (most recent call last):\n"


def note_udf_file(filename: str) -> None:
    """Remember a file of UDF code this process compiled, so tracebacks keep its frames."""
    _udf_files.add(filename)


def error_from_exception(
    exc: BaseException, own_files: Collection[str], *, code: str
) -> UdfRuntimeError:
    """Wrap an exception raised by UDF code, located at its deepest frame in the UDF's own files.

    The traceback keeps the frames of UDF code (own files and loaded ones); an error of a nested
    load or run is wrapped once (`_enclosing`).
    """
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename in own_files or frame.filename in _udf_files
    ]
    own = [frame for frame in frames if frame.filename in own_files]
    file: str | None = None
    line: int | None = None
    if own:
        file, line = own[-1].filename, own[-1].lineno
    elif isinstance(exc, SyntaxError) and exc.filename in own_files:
        file, line = exc.filename, exc.lineno
    if isinstance(exc, UdfRuntimeError):
        return _enclosing(exc, frames, file, line)
    lines = [_TRACEBACK_HEADER, *_format_frames(frames)] if frames else []
    lines.extend(traceback.format_exception_only(type(exc), exc))
    server_module = fused_server_module(exc)
    if server_module is not None:
        # No package to install: the error carries no missingPackage, so nothing offers one.
        return UdfMissingPackageError(
            fused_server_message(server_module),
            code=UDF_ERR_MISSING_PACKAGE,
            exception_class=type(exc).__name__,
            file=public_file(file),
            line=line,
            traceback_text="".join(lines),
        )
    missing = missing_package(exc)
    if missing is not None:
        return UdfMissingPackageError(
            missing.message(),
            code=UDF_ERR_MISSING_PACKAGE,
            exception_class=type(exc).__name__,
            file=public_file(file),
            line=line,
            traceback_text="".join(lines),
            missing_package=missing.to_data(),
        )
    error_class: type[UdfRuntimeError] = (
        UdfLoadError if code in (UDF_ERR_SYNTAX, UDF_ERR_IMPORT) else UdfRuntimeError
    )
    message = _exception_message(exc)
    hint = network_hint(exc)
    return error_class(
        f"{message}\n({hint})" if hint else message,
        code=code,
        exception_class=type(exc).__name__,
        file=public_file(file),
        line=line,
        traceback_text="".join(lines),
    )


def _enclosing(
    inner: UdfRuntimeError,
    frames: list[traceback.FrameSummary],
    file: str | None,
    line: int | None,
) -> UdfRuntimeError:
    """A nested load's or run's error as the enclosing UDF's: the inner class, message and code
    (see `_KEPT_CODES`), the inner UDF named once, located at the call in the enclosing UDF's
    files, and its traceback going on with the inner frames."""
    message = inner.message
    if inner.udf_name and not _NAMED_UDF.search(message):
        message = f"{message} (in the UDF {inner.udf_name!r})"
    inner_text = inner.traceback_text or "".join(
        traceback.format_exception_only(type(inner), inner)
    )
    inner_text = inner_text.removeprefix(_TRACEBACK_HEADER)
    lines = [_TRACEBACK_HEADER, *_format_frames(frames)]
    if inner.udf_name:
        lines.append(f"  In the UDF {inner.udf_name!r}:\n")
    lines.append(inner_text)
    kept = inner.code in _KEPT_CODES
    return (type(inner) if kept else UdfRuntimeError)(
        message,
        code=inner.code if kept else UDF_ERR_RUNTIME,
        exception_class=inner.exception_class or type(inner).__name__,
        file=public_file(file) if line is not None else inner.file,
        line=line if line is not None else inner.line,
        traceback_text="".join(lines),
        missing_package=inner.missing_package,
    )


def _format_frames(frames: list[traceback.FrameSummary]) -> list[str]:
    """The frames as `traceback.format_list` gives them, GitHub copies shown by their URL."""
    return [github_url_in(text) for text in traceback.format_list(frames)]


def github_url_in(text: str) -> str:
    """`text` with paths of GitHub copies (`$UDF_STUDIO_HOME/github/ORG/REPO/REF/PATH`) shown as
    `https://github.com/ORG/REPO/blob/REF/PATH`."""
    root = str(studio_home() / "github") + os.sep
    if root not in text:
        return text
    part = r"([^/\\\"]+)[/\\]"
    pattern = re.escape(root) + part * 3 + r"([^\"]*)"

    def url(match: re.Match[str]) -> str:
        org, repo, ref, path = match.groups()
        return f"https://github.com/{org}/{repo}/blob/{ref}/{path.replace(os.sep, '/')}"

    return re.sub(pattern, url, text)


def syntax_error(exc: SyntaxError) -> UdfLoadError:
    """A `UDF_ERR_SYNTAX` error for code that does not compile, naming its file and line."""
    return UdfLoadError(
        exc.msg,
        code=UDF_ERR_SYNTAX,
        exception_class=type(exc).__name__,
        file=public_file(exc.filename),
        line=exc.lineno,
        traceback_text="".join(traceback.format_exception_only(type(exc), exc)),
    )


def _exception_message(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return exc.msg
    return str(exc)
