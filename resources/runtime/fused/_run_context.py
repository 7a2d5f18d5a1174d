"""What `fused.context` reports about the run in progress: the UDF, and the request it serves.

`invoke` (every call of a UDF, wherever it runs) sets the UDF for the code it calls; the worker
sets the request (its headers, and whether the engine runs it as a realtime run or as part of
a batch job) for the thread of the run. Both are context variables, so threads of concurrent
runs and nested calls each see their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._context_setting import Setting

if TYPE_CHECKING:
    from ._udf_like import UdfLike


@dataclass(frozen=True)
class RunRequest:
    """The request a worker run serves: its HTTP headers, and the kind of run."""

    headers: Mapping[str, str] = field(default_factory=dict)
    batch: bool = False


_udf: ContextVar[UdfLike | None] = ContextVar("udf_studio_this_udf", default=None)
_request: ContextVar[RunRequest | None] = ContextVar("udf_studio_run_request", default=None)


def current_udf() -> UdfLike | None:
    """The UDF whose code is running here, or None outside any run."""
    return _udf.get()


def current_request() -> RunRequest | None:
    """The worker request this code serves, or None outside a worker's run."""
    return _request.get()


def running_udf(udf: UdfLike) -> Setting[UdfLike | None]:
    """Report `udf` as the running UDF for the enclosed call."""
    return Setting(_udf, udf)


def serving(request: RunRequest) -> Setting[RunRequest | None]:
    """Report the enclosed run as serving `request`."""
    return Setting(_request, request)
