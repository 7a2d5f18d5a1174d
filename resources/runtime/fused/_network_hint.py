"""A plain sentence for a run that failed because a host could not be reached.

Libraries word it each their own way (urllib3's "Max retries exceeded ... NameResolutionError",
GDAL's "Could not resolve host", DuckDB's "Could not establish connection"); on Fused the network
is always there, so users read them as bugs. The hint goes next to the library's own message.
"""

from __future__ import annotations

import re

_UNREACHABLE = re.compile(
    r"could not resolve host|name or service not known|temporary failure in name resolution|"
    r"nodename nor servname|getaddrinfo failed|nameresolutionerror|could not establish connection|"
    r"failed to establish a new connection|network is unreachable|connection refused|"
    r"could not connect to the endpoint url|connection timed out|connecttimeout|"
    r"no route to host|cannot connect to host",
    re.IGNORECASE,
)
_HOST = (
    re.compile(r"host='([^']+)'"),
    re.compile(r"[a-z][a-z0-9+.-]*://([^/:\s\"'<>]+)", re.IGNORECASE),
    re.compile(r"resolve host:? ([^\s\"']+)", re.IGNORECASE),
)
_DUCKDB_EXTENSION = re.compile(r'Failed to download extension "([^"]+)"')
# Extensions the runtime has offline (fused/_duckdb_extensions.py).
_BUNDLED_DUCKDB = ("spatial", "httpfs", "aws")


def network_hint(exc: BaseException) -> str | None:
    """A sentence naming the host that could not be reached, or None for other failures."""
    text = _chain_text(exc)
    if not _UNREACHABLE.search(text):
        return None
    extension = _DUCKDB_EXTENSION.search(text)
    if extension:
        return (
            f"DuckDB's extension {extension.group(1)!r} is not bundled with UDF Studio "
            f"({', '.join(_BUNDLED_DUCKDB)} are, offline); it downloads from DuckDB's servers, "
            "which could not be reached: is this machine offline?"
        )
    host = _host(text)
    where = f"the host {host}" if host else "a host the UDF needs"
    return f"{where} could not be reached: is this machine offline, or is the name wrong?"


def _host(text: str) -> str | None:
    for pattern in _HOST:
        match = pattern.search(text)
        if match:
            return match.group(1)
    return None


def _chain_text(exc: BaseException) -> str:
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return "\n".join(parts)
