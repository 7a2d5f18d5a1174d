"""JSON requests to the running engine's API (Fused's routes), for calls that only it can answer:
saving a UDF into the workspace, its shared tokens, the account (and, through `engine_response`,
`fused.api`'s calls).

The engine is the one `_engine_client.find_engine` finds; with none running, the call raises
`EngineUnavailableError` saying what needed it and how to start one. An error the engine answers
is an `EngineRequestError` with the engine's code and message.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from ._errors import EngineUnavailableError

if TYPE_CHECKING:
    from ._engine_client import EngineEndpoint, Response

API_TIMEOUT_S: Final = 30.0
ACCOUNT_PATH: Final = "/server/v1/user/self"
ACCOUNT_TIMEOUT_S: Final = 5.0


class EngineRequestError(RuntimeError):
    """The engine refused a request: `code` is its error code, `status` the HTTP status."""

    def __init__(self, message: str, *, code: str | None, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def engine_response(
    purpose: str, method: str, target: str, body: bytes | None = None, *, timeout: float
) -> tuple[EngineEndpoint, Response]:
    """One request to the running engine, whatever it answers, and the engine it went to.

    Raises `EngineUnavailableError` saying that `purpose` needs the engine when none is running
    or it refuses the connection.
    """
    from ._engine_client import Refused, find_engine, request  # the HTTP client, on first use

    endpoint, reason = find_engine()
    if endpoint is None:
        raise EngineUnavailableError(
            f"{purpose} needs the running UDF Studio engine, and {reason} "
            "(start it with `udf-studio serve` or the app)"
        )
    try:
        return endpoint, request(endpoint, method, target, body, timeout=timeout)
    except Refused:
        raise EngineUnavailableError(
            f"{purpose}: the UDF Studio engine at {endpoint.url} refused the connection"
        ) from None


def engine_json(method: str, path: str, body: object = None, *, purpose: str) -> Any:
    """The engine's JSON answer to one request; `purpose` names the call in errors."""
    data = json.dumps(body).encode() if body is not None else None
    _, response = engine_response(purpose, method, path, data, timeout=API_TIMEOUT_S)
    if response.status >= 400:
        code, message = error_detail(response.payload)
        raise EngineRequestError(
            f"{purpose}: {message or f'HTTP {response.status}'}", code=code, status=response.status
        )
    try:
        return json.loads(response.payload) if response.payload else None
    except ValueError:
        raise EngineRequestError(
            f"{purpose}: the engine answered with something that is not JSON",
            code=None,
            status=response.status,
        ) from None


def error_detail(body: bytes) -> tuple[str | None, str]:
    """The engine's error code and message from an error body (`{"error": {...}}` or flat)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None, body.decode("utf-8", "replace").strip()[:200]
    error = data.get("error", data) if isinstance(data, dict) else {}
    if not isinstance(error, dict):
        return None, str(error)
    code = error.get("code")
    message = error.get("message")
    return (code if isinstance(code, str) else None), (message if isinstance(message, str) else "")


def engine_account() -> dict[str, Any] | None:
    """The running engine's account (`GET /server/v1/user/self`); None without an engine or
    an answer."""
    from ._engine_client import Refused, find_engine, request  # the HTTP client, on first use

    endpoint, _ = find_engine()
    if endpoint is None:
        return None
    try:
        response = request(endpoint, "GET", ACCOUNT_PATH, timeout=ACCOUNT_TIMEOUT_S)
        answer = json.loads(response.payload) if response.status == 200 else None
    except (Refused, EngineUnavailableError, ValueError):
        return None  # an engine that cannot say: the settings answer the same question
    return answer if isinstance(answer, dict) else None
