"""The official SDK's names that have no meaning on this machine, each with its reason.

They exist (so `import`, `hasattr`, `dir` and introspection behave as with the SDK) and raise
`NotLocalError` naming themselves when used: a function when called, a module or object when
one of its attributes is read. test/runtime/test_sdk_surface.py holds this list to the SDK's
surface: every entry is a name the SDK has, and every SDK name not here works locally.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, Final, NoReturn

from ._errors import NotLocalError

NOT_LOCAL: Final[dict[str, str]] = {
    "fused.h3": (
        "it drives Fused's hosted H3 indexing service (ingestion jobs and a dataset catalogue "
        "on Fused's servers); index locally with the h3 package, which the runtime has"
    ),
    "fused.find_dataset": "it asks Fused's dataset registry, which lives on Fused's servers",
    "fused.register_dataset": (
        "it writes to Fused's dataset registry, which lives on Fused's servers"
    ),
    "fused.ingest_nongeospatial": (
        "Fused's non-geospatial partition job runs on its batch machines and writes to its S3 "
        "tables; locally, `df.to_parquet(path, partition_cols=[...])` writes a partitioned table, "
        "and `fused.ingest` a geopartitioned one"
    ),
    "fused.options.save": (
        "it writes the official client's settings file (~/.fused/settings.toml); UDF Studio's "
        "options come from its engine and home, and a script sets the others when it runs"
    ),
    "Udf.schedule": (
        "Fused's cron scheduler runs saved UDFs on its servers; run the UDF from your own "
        "scheduler (cron, systemd timers) with `udf-studio run`"
    ),
    "Udf.get_schedule": "it reads Fused's cron scheduler, which lives on Fused's servers",
    "Udf.get_canvas_share_token": (
        "canvas share tokens (fc_...) belong to Fused's workbench canvases; share a local UDF "
        "with `udf.create_access_token()` or `udf-studio token create`"
    ),
}


def not_local_error(name: str) -> NotLocalError:
    """The error for using `name`, naming it and saying why it has no local meaning."""
    return NotLocalError(f"{name} has no local meaning in UDF Studio: {NOT_LOCAL[name]}")


def not_local_function(name: str) -> Callable[..., NoReturn]:
    """A function that raises `NotLocalError` for `name` whatever it is called with."""
    _check(name)
    last = name.rpartition(".")[2]

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise not_local_error(name)

    refuse.__name__ = refuse.__qualname__ = last
    refuse.__doc__ = f"Not available in UDF Studio: {NOT_LOCAL[name]}."
    return refuse


class NotLocalModule(ModuleType):
    """A module whose every public attribute raises `NotLocalError` for the module's name."""

    def __init__(self, name: str) -> None:
        _check(name)
        super().__init__(name, f"Not available in UDF Studio: {NOT_LOCAL[name]}.")

    def __getattr__(self, attribute: str) -> NoReturn:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise not_local_error(self.__name__)


def _check(name: str) -> None:
    if name not in NOT_LOCAL:
        raise KeyError(f"{name} is not on the not-local list (fused/_not_local.py)")
