"""A UDF as the layers below the model see it: `UdfLike`, the fields and methods of a `Udf` that
running, saving, sharing, writing and caching one use, and `Prepared`, what a call needs.

`_udf` imports those layers, so they type their UDFs against this Protocol rather than the `Udf`
class: type-only imports count in the import layers too. `Udf` satisfies it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ._binding import CallPlan
    from ._headers import Header, HeaderSet


@dataclass(frozen=True)
class Prepared:
    """What a call needs, worked out once per `Udf`: function, call plan, header modules, files."""

    fn: Callable[..., Any]
    plan: CallPlan
    headers: HeaderSet | None
    files: frozenset[str]


class UdfLike(Protocol):
    """The parts of a `Udf` the layers below `_udf` use (see `Udf` for what each means)."""

    name: str
    code: str
    entrypoint: str
    headers: list[Header]
    metadata: dict[str, Any]
    parameters: dict[str, Any]
    engine: str | None
    collection_id: str | None
    collection_name: str | None
    meta: dict[str, Any] | None
    path: str | None
    directory: str | None
    readme: str | None
    readme_name: str | None
    # The decorated function: its source when the UDF has no code text, its code object's file.
    _fn: Callable[..., Any]

    def prepared(self) -> Prepared: ...
