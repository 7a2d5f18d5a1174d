"""Executed UDFs kept per key, so a run with a known key goes straight to the call.

The key is the engine's (a hash of code, headers and entry point): the worker trusts it and
never hashes code itself. The rest of the request's `udf` object is read only for a new key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import suppress
from pathlib import PurePath
from typing import Any, Final

from fused._headers import Header
from fused._load import udf_for_module
from fused._module import execute_udf_code, inline_filename
from fused._udf import Udf

CACHE_SIZE: Final = 64


class ProtocolError(Exception):
    """A request is malformed (missing or mistyped field): answered with `UDF_ERR_PROTOCOL`."""


class WarmCache:
    """UDFs by key, least recently used dropped past `size`."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[str, Udf] = OrderedDict()
        # Runs in several threads may bring the same new key: its code is executed once.
        self._lock = threading.Lock()

    def udf_for(self, data: object) -> Udf:
        """The UDF for a request's `udf` object, executing its code only for a new key.

        Raises `ProtocolError` for a malformed object and `UdfLoadError` when the code does
        not compile, raises at import, or has no entry point (nothing is cached then).
        """
        if not isinstance(data, dict):
            raise ProtocolError("udf must be a JSON object")
        key = data.get("key")
        if not isinstance(key, str) or not key:
            raise ProtocolError("udf.key must be a non-empty string")
        entries = self._entries
        udf = entries.get(key)
        if udf is not None:
            with suppress(KeyError):  # dropped by another thread meanwhile: still usable
                entries.move_to_end(key)
            return udf
        with self._lock:
            udf = entries.get(key)
            if udf is not None:
                return udf
            return self._add(key, data)

    def _add(self, key: str, data: dict[str, Any]) -> Udf:
        entries = self._entries
        udf = _prepare(data)
        entries[key] = udf
        if len(entries) > self._size:
            dropped = entries.popitem(last=False)[1]
            if dropped._module is not None:
                dropped._module.discard()
        return udf

    def __len__(self) -> int:
        return len(self._entries)


def _prepare(data: dict[str, Any]) -> Udf:
    code = _text(data, "code")
    name = _optional_text(data, "name") or "udf"
    path = _optional_text(data, "path")
    directory = _optional_text(data, "dir")
    entrypoint = _optional_text(data, "entrypoint")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ProtocolError("udf.metadata must be a JSON object")
    headers = _headers(data.get("headers") or [])
    filename = path or inline_filename(name)
    module = execute_udf_code(
        code, filename=filename, name=name, headers=headers, directory=directory
    )
    try:
        udf = udf_for_module(
            module,
            entrypoint,
            code=code,
            filename=filename,
            headers=headers,
            directory=directory,
            import_globals=False,
            metadata=metadata,
        )
        udf.name = name
        udf.prepared()
    except BaseException:
        module.discard()
        raise
    return udf


def _headers(entries: object) -> list[Header]:
    if not isinstance(entries, list):
        raise ProtocolError("udf.headers must be a JSON array")
    headers = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ProtocolError("each of udf.headers must be a JSON object")
        module_name = _text(entry, "module_name", "udf.headers[].")
        path = _optional_text(entry, "path", "udf.headers[].")
        headers.append(
            Header(
                module_name,
                _text(entry, "code", "udf.headers[]."),
                PurePath(path).name if path else None,
                path,
            )
        )
    return headers


def _text(data: dict[str, Any], name: str, prefix: str = "udf.") -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise ProtocolError(f"{prefix}{name} must be a string")
    return value


def _optional_text(data: dict[str, Any], name: str, prefix: str = "udf.") -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise ProtocolError(f"{prefix}{name} must be a string or null")
    return value or None
