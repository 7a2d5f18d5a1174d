"""Calls of `fused.api` to the running engine, found as `fused.run` finds it, with the private
token.

Failures become the Python errors a caller expects: a 400 is a `ValueError`, a 404 a `LookupError`
(`FileNotFoundError` for files), anything else the engine refuses an `EngineUnavailableError`
naming the engine and the function.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urlencode

from .._engine_api import engine_response
from .._errors import EngineUnavailableError

if TYPE_CHECKING:
    from .._engine_client import Response

# fused.api calls answer at once (a job's long poll waits at most this long itself).
CALL_TIMEOUT_S: Final = 60.0


def call(
    what: str,
    method: str,
    path: str,
    query: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Response:
    """One request to the engine; raises for any answer that is not 2xx."""
    target = path + (f"?{urlencode(query)}" if query else "")
    endpoint, response = engine_response(what, method, target, body, timeout=CALL_TIMEOUT_S)
    if not 200 <= response.status < 300:
        raise _error(what, endpoint.url, response)
    return response


def call_json(
    what: str,
    method: str,
    path: str,
    query: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Any:
    """`call`, then the answer's JSON."""
    return json.loads(call(what, method, path, query, body).payload)


def segment(text: str) -> str:
    """`text` as one path segment of a URL."""
    return quote(text, safe="")


def _error(what: str, url: str, response: Response) -> Exception:
    from .._engine_client import error_object

    error = error_object(response.payload) or {}
    code = str(error.get("code") or "")
    message = str(error.get("message") or f"the engine answered {response.status}")
    if response.status == 400:
        return ValueError(f"{what}: {message}")
    if code == "UDF_ERR_FILE_NOT_FOUND":
        return FileNotFoundError(f"{what}: {message}")
    if response.status == 404:
        return LookupError(f"{what}: {message}")
    return EngineUnavailableError(
        f"{what}: the UDF Studio engine at {url} answered {response.status} {code}: {message}"
    )
