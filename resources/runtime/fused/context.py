"""`fused.context`: what UDF code can ask about the run it is part of.

- `this_udf()`: the `Udf` whose code is running (inside a nested call, the inner one); a
  `ValueError` outside any run.
- `in_realtime()` / `in_batch()`: whether the engine runs this code for a request (a run, a
  tile, a submit job's run) or as part of a batch job (`instance_type=...`, `start_job`); both
  False in a plain script.
- `get_headers()` / `get_header(name)`: the HTTP request's headers for a run the engine's server
  started (without `Authorization` and `Cookie`); `get_share_token()` is the shared token a run
  came through. Empty outside such runs.
- `get_user_email()`: the local account (the engine's `GET /server/v1/user/self`, else the
  settings); `get_realtime_client_id()`: "local"; `get_recursion_factor()`: how deep the run
  is nested, counted as Fused counts (1 for a top-level run; 0 outside any run);
  `get_execution_environment_id()`: None (one machine, no execution environments).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, cast

from ._account import user_email
from ._engine_api import engine_account
from ._nesting import current_depth, in_run
from ._options import REALTIME_CLIENT_ID
from ._run_context import current_request, current_udf

if TYPE_CHECKING:
    from ._udf import Udf

SHARE_TOKEN_HEADER: Final = "Fused-Share-Token"
"""The header naming the shared token a run came through (the engine sets it)."""

SESSION_TOKEN_HEADER: Final = "Fused-Session-Token"
"""The header of a shared run authorised by a session token (never set here: no sessions)."""

__all__ = [
    "get_execution_environment_id",
    "get_global_context",
    "get_header",
    "get_headers",
    "get_realtime_client_id",
    "get_recursion_factor",
    "get_session_token",
    "get_share_token",
    "get_user_email",
    "in_batch",
    "in_realtime",
    "this_udf",
]


def get_headers() -> dict[str, str]:
    """The headers of the HTTP request the running UDF serves ({} outside such a run)."""
    request = current_request()
    return dict(request.headers) if request is not None else {}


def get_header(name: str) -> str | None:
    """One request header by name, in any case; None when absent."""
    wanted = name.lower()
    return next(
        (value for key, value in get_headers().items() if key.lower() == wanted), None
    )


def get_share_token() -> str | None:
    """The shared token (`fsh_...`) the running UDF was reached through, if any."""
    return get_header(SHARE_TOKEN_HEADER)


def get_session_token() -> str | None:
    """The session token a shared run was authorised with: never one here (None)."""
    return get_header(SESSION_TOKEN_HEADER)


def get_user_email() -> str | None:
    """The local account's email."""
    return user_email(engine_account())


def get_execution_environment_id() -> str | None:
    """None: this machine has no execution environments (teams of Fused's cloud)."""
    return None


def get_realtime_client_id() -> str | None:
    """The client id in the engine's realtime URLs ("local")."""
    return REALTIME_CLIENT_ID


def get_recursion_factor() -> int | None:
    """How deep the running UDF is nested: 1 for a top-level run, 0 outside any run."""
    return current_depth() + 1 if in_run() else 0


def in_realtime() -> bool:
    """Whether the engine runs this code to answer a request (not as part of a batch job)."""
    request = current_request()
    return request is not None and not request.batch


def in_batch() -> bool:
    """Whether the engine runs this code as part of a batch job."""
    request = current_request()
    return request is not None and request.batch


def this_udf() -> Udf | None:
    """The UDF whose code is running; `ValueError` when no UDF is."""
    udf = _running_udf()
    if udf is None:
        raise ValueError("fused.context.this_udf() was called outside a UDF run")
    return udf


class LocalContext:
    """The context object the SDK's `get_global_context()` returns, answering for this run."""

    @property
    def headers(self) -> dict[str, str]:
        return get_headers()

    @property
    def user_email(self) -> str | None:
        return get_user_email()

    @property
    def execution_environment_id(self) -> str | None:
        return None

    @property
    def realtime_client_id(self) -> str | None:
        return get_realtime_client_id()

    @property
    def recursion_factor(self) -> int | None:
        return get_recursion_factor()

    @property
    def in_realtime(self) -> bool:
        return in_realtime()

    @property
    def in_batch(self) -> bool:
        return in_batch()

    @property
    def this_udf(self) -> Udf | None:
        return _running_udf()

    def __repr__(self) -> str:
        return "<fused.context: this machine>"


_CONTEXT: Final = LocalContext()


def _running_udf() -> Udf | None:
    # `_run_context` sits below the UDF model, so it keeps the running UDF as a `UdfLike`; the
    # UDFs `invoke` runs are `Udf` objects.
    return cast("Udf | None", current_udf())


def get_global_context() -> LocalContext:
    """The context of the code calling it (one object; its answers follow the run)."""
    return _CONTEXT
