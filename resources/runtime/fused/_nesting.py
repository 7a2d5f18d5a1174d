"""How deep the current run is nested: a UDF that runs another UDF passes its depth + 1.

The engine sends each run's depth to the worker, which sets it for the thread running the UDF;
calls the UDF makes (to the engine, or in this process) carry one more, and a call past
`MAX_DEPTH` fails at once instead of recursing without end. Over HTTP the depth travels in the
`Fused-Recursion` header counted as Fused counts it, from 1 for a top-level call.

The worker also sets the engine's id for the run, which calls back to the engine name
(`PARENT_RUN_HEADER`): a job the UDF starts then ends with its run when that run fails.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Final

from ._context_setting import Setting
from ._errors import UDF_ERR_RECURSION, UdfRuntimeError

MAX_DEPTH: Final = 5
RECURSION_HEADER: Final = "Fused-Recursion"
PARENT_RUN_HEADER: Final = "x-udf-studio-parent-run"
# None outside any UDF run: a run started there is a top-level run (depth 0).
_depth: ContextVar[int | None] = ContextVar("udf_studio_run_depth", default=None)
# The engine's id of the worker run this code is part of; None outside one (or in a thread it
# started: context variables do not follow new threads).
_engine_run: ContextVar[str | None] = ContextVar("udf_studio_engine_run", default=None)


def current_depth() -> int:
    """The depth of the run this code is part of: 0 for a top-level run, and outside any run."""
    return _depth.get() or 0


def in_run() -> bool:
    """Whether this code runs as part of a UDF run (so a run it starts is nested)."""
    return _depth.get() is not None


def child_depth() -> int:
    """The depth a run started from here has; raises past `MAX_DEPTH`."""
    parent = _depth.get()
    depth = 0 if parent is None else parent + 1
    if depth > MAX_DEPTH:
        raise UdfRuntimeError(
            f"UDFs call each other {depth} levels deep; the limit is {MAX_DEPTH} "
            "(a UDF that runs itself, directly or through others?)",
            code=UDF_ERR_RECURSION,
        )
    return depth


def recursion_header() -> str:
    """The `Fused-Recursion` value of a call made from here: Fused counts levels from 1, so one
    more than the depth the call's run has (the official client's top level sends 1)."""
    return str(child_depth() + 1)


def at_depth(depth: int) -> Setting[int | None]:
    """Run the enclosed code as part of a run at `depth`."""
    return Setting(_depth, depth)


def engine_run_id() -> str | None:
    """The engine's id of the worker run this code is part of, or None."""
    return _engine_run.get()


def in_engine_run(run_id: str | None) -> Setting[str | None]:
    """Run the enclosed code as part of the engine's run `run_id` (None: no engine run)."""
    return Setting(_engine_run, run_id)
