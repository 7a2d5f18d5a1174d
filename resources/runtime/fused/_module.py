"""Executing UDF code as a module of its own, with its header modules and the name `fused`.

Code is compiled with its real file path (or `<udf:NAME>` for inline code) as the filename, so
tracebacks and line numbers point at the user's file; the source is also put in `linecache`
under that name, so tracebacks show the code that ran even when the file has changed since.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import linecache
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from types import CodeType, ModuleType
from typing import Any

from ._errors import (
    UDF_ERR_IMPORT,
    error_from_exception,
    note_udf_file,
    public_file,
    syntax_error,
)
from ._headers import Header, HeaderSet
from ._shared_disk import map_paths_in_tree, mentions_mapped_paths

_module_numbers = itertools.count(1)
_UNSAFE_NAME = re.compile(r"\W+")


@dataclass(frozen=True)
class SourceContext:
    """The code being executed, for `@fused.udf` to record on the `Udf` it makes."""

    code: str
    filename: str
    headers: tuple[Header, ...]
    directory: str | None


CURRENT_SOURCE: ContextVar[SourceContext | None] = ContextVar("udf_source", default=None)


@dataclass(frozen=True)
class UdfModule:
    """UDF code after execution: its module, its header modules and its own filenames."""

    module: ModuleType
    headers: HeaderSet
    files: frozenset[str]

    @property
    def namespace(self) -> dict[str, Any]:
        """The module's globals."""
        return self.module.__dict__

    @property
    def name(self) -> str:
        """The module's unique name in `sys.modules`."""
        return self.module.__name__

    def discard(self) -> None:
        """Forget the module (called when a cache drops it)."""
        if sys.modules.get(self.name) is self.module:
            del sys.modules[self.name]


def inline_filename(name: str, module_name: str | None = None) -> str:
    """The filename inline code is compiled with: `<udf:NAME>` (or `<udf:NAME:module>`)."""
    return f"<udf:{name}:{module_name}>" if module_name else f"<udf:{name}>"


def execute_udf_code(
    code: str,
    *,
    filename: str,
    name: str,
    headers: Sequence[Header] = (),
    directory: str | None = None,
) -> UdfModule:
    """Compile and execute UDF code with its headers; header modules execute first, in order.

    Raises `UdfLoadError` with `UDF_ERR_SYNTAX` when the code or a header does not compile, and
    `UDF_ERR_IMPORT` when executing their top level raises; both name the file and line.
    """
    main = compile_source(code, filename)
    header_set = compile_headers(headers, name)
    module_name = f"_udf_{_UNSAFE_NAME.sub('_', name)[:40]}_{next(_module_numbers)}"
    module = ModuleType(module_name)
    module.__dict__["fused"] = sys.modules["fused"]
    real_file = public_file(filename)
    if real_file is not None:
        module.__file__ = real_file
    files = frozenset({filename, *header_set.filenames})
    # Registered so that dataclasses, pickling and typing can find the module by name.
    sys.modules[module_name] = module
    token = CURRENT_SOURCE.set(SourceContext(code, filename, tuple(headers), directory))
    try:
        with header_set.importing():
            header_set.import_all()
            exec(main, module.__dict__)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(module_name, None)
        raise error_from_exception(exc, files, code=UDF_ERR_IMPORT) from exc
    finally:
        CURRENT_SOURCE.reset(token)
    return UdfModule(module, header_set, files)


def compile_headers(headers: Sequence[Header], udf_name: str) -> HeaderSet:
    """Compile header modules (not yet executed); `UDF_ERR_SYNTAX` when one does not compile."""
    compiled = {
        header.module_name: compile_source(
            header.source_code, header.path or inline_filename(udf_name, header.module_name)
        )
        for header in headers
    }
    return HeaderSet(headers, compiled)


def load_headers(headers: Sequence[Header], udf_name: str) -> HeaderSet:
    """Compile and execute header modules on their own (for a UDF defined in a script)."""
    header_set = compile_headers(headers, udf_name)
    try:
        with header_set.importing():
            header_set.import_all()
    except (Exception, SystemExit) as exc:
        raise error_from_exception(exc, header_set.filenames, code=UDF_ERR_IMPORT) from exc
    return header_set


def compile_source(code: str, filename: str) -> CodeType:
    """Compile code as a module, remembering its lines and its file for tracebacks.

    `/mnt/cache` and `fd://` string literals become the real shared disk and bucket paths
    (`_shared_disk.map_paths_in_tree`); line numbers are those of the code as written.
    """
    try:
        source: str | ast.Module = code
        if mentions_mapped_paths(code):
            source = map_paths_in_tree(ast.parse(code, filename), filename)
        compiled = compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise syntax_error(exc) from None
    except ValueError as exc:  # e.g. null bytes in the source
        raise syntax_error(SyntaxError(str(exc), (filename, 1, 0, ""))) from None
    # mtime None keeps the entry: linecache.checkcache skips entries it cannot stat-compare.
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    note_udf_file(filename)
    return compiled


def function_source(function: Callable[..., Any]) -> str:
    """A function's own source, dedented; "" when Python cannot find it."""
    try:
        return textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return ""
