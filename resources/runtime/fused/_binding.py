"""Binding a run's arguments to a UDF's parameters: tile mode, conversion, unknown, missing.

`plan_call` reads a function's signature once (annotations resolved, conversions chosen); `bind`
then does only dictionary work per run.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ._arguments import (
    Conversion,
    conversion_for,
    convert_argument,
    format_annotation,
    resolve_annotation,
)
from ._errors import UDF_ERR_MISSING_PARAM, UDF_ERR_PARAM, UDF_ERR_UNKNOWN_PARAM, UdfParameterError
from ._tiles import TileCoord, tile_argument
from .types import BOUNDS, TileType

TILE_PARAMETER_NAMES: Final = ("bounds", "bbox")
# Options of the official client's `fused.run` that it sends along with the UDF's parameters
# (`verbose=True` and `_stream_logs` reach the server as parameters); the hosted API drops them
# unless the UDF itself declares a parameter of that name.
CLIENT_RUN_OPTIONS: Final = frozenset(
    {"verbose", "_stream_logs", "_run_id", "_use_polling", "_return_response", "_profile"}
)
_EMPTY: Final[Any] = inspect.Parameter.empty
_POSITIONAL: Final = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """One named parameter of a UDF, with its annotation resolved to a conversion."""

    name: str
    kind: inspect._ParameterKind
    annotation: str | None
    default: Any
    conversion: Conversion

    @property
    def required(self) -> bool:
        """Whether the parameter has no default."""
        return self.default is _EMPTY


@dataclass(frozen=True)
class CallPlan:
    """What `bind` needs to know about a UDF's signature, computed once per function."""

    parameters: tuple[ParameterSpec, ...]
    takes_kwargs: bool
    takes_args: bool
    by_name: Mapping[str, ParameterSpec] = field(repr=False)
    positional: tuple[ParameterSpec, ...] = field(repr=False)
    required: tuple[str, ...] = field(repr=False)
    aliases: Mapping[str, str] = field(repr=False)
    # describe's `tileParam`: the first parameter when it is tile-typed or named bounds/bbox.
    tile_param: str | None
    # The parameter that receives the tile in tile mode, and as what.
    tile_receiver: ParameterSpec | None = field(repr=False)
    tile_type: TileType | None = field(repr=False)
    has_positional_only: bool = field(repr=False)


def plan_call(fn: Callable[..., Any]) -> CallPlan:
    """Read `fn`'s signature, resolving string annotations in the function's module globals."""
    namespace = getattr(fn, "__globals__", {})
    parameters: list[ParameterSpec] = []
    takes_kwargs = takes_args = False
    for parameter in inspect.signature(fn).parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            takes_kwargs = True
            continue
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            takes_args = True
            continue
        raw = parameter.annotation
        hint = resolve_annotation(raw, namespace)
        parameters.append(
            ParameterSpec(
                name=parameter.name,
                kind=parameter.kind,
                annotation=format_annotation(raw if isinstance(raw, str) else hint),
                default=parameter.default,
                conversion=conversion_for(hint),
            )
        )
    by_name = {spec.name: spec for spec in parameters}
    tile_param, tile_receiver, tile_type = _tile_parameter(parameters[0] if parameters else None)
    aliases: dict[str, str] = {}
    if "bbox" in by_name and "bounds" not in by_name:
        aliases["bounds"] = "bbox"
    if "bounds" in by_name and "bbox" not in by_name:
        aliases["bbox"] = "bounds"
    return CallPlan(
        parameters=tuple(parameters),
        takes_kwargs=takes_kwargs,
        takes_args=takes_args,
        by_name=by_name,
        positional=tuple(spec for spec in parameters if spec.kind in _POSITIONAL),
        required=tuple(spec.name for spec in parameters if spec.required),
        aliases=aliases,
        tile_param=tile_param,
        tile_receiver=tile_receiver,
        tile_type=tile_type,
        has_positional_only=any(
            spec.kind is inspect.Parameter.POSITIONAL_ONLY for spec in parameters
        ),
    )


def bind(
    plan: CallPlan,
    args: Sequence[object],
    params: Mapping[str, object],
    tile: TileCoord | None,
) -> tuple[list[object], dict[str, object]]:
    """Positional and keyword arguments for one call.

    In tile mode the tile goes to the plan's tile receiver (a value given for it by name is
    ignored) and declared `x`, `y`, `z` parameters get the coordinates. String values are converted
    by annotation. Raises `UdfParameterError` for unknown, missing or unconvertible arguments.
    """
    kwargs: dict[str, object] = {}
    receiver = plan.tile_receiver
    if tile is not None:
        _bind_tile(plan, tile, kwargs)
    extra: Sequence[object] = ()
    by_position: set[str] = set()
    if args:
        free = [spec for spec in plan.positional if spec.name not in kwargs]
        if len(args) > len(free):
            if not plan.takes_args:
                raise UdfParameterError(
                    f"the UDF takes {len(free)} positional argument(s) but {len(args)} were given",
                    code=UDF_ERR_UNKNOWN_PARAM,
                )
            extra = args[len(free) :]
        for positional, value in zip(free, args, strict=False):
            by_position.add(positional.name)
            kwargs[positional.name] = convert_argument(
                positional.name, value, positional.conversion
            )
    unknown: list[str] = []
    by_name = plan.by_name
    spec: ParameterSpec | None
    for name, value in params.items():
        spec = by_name.get(name)
        if spec is None:
            alias = plan.aliases.get(name)
            if alias is None:
                if name in CLIENT_RUN_OPTIONS:
                    continue
                if plan.takes_kwargs:
                    kwargs[name] = value
                else:
                    unknown.append(name)
                continue
            spec = by_name[alias]
        if tile is not None and spec is receiver:
            continue
        if spec.name in by_position:
            raise UdfParameterError(
                f"parameter '{spec.name}' was given both by position and by name",
                code=UDF_ERR_PARAM,
            )
        kwargs[spec.name] = convert_argument(spec.name, value, spec.conversion)
    if unknown:
        raise UdfParameterError(_unknown_message(plan, unknown), code=UDF_ERR_UNKNOWN_PARAM)
    missing = [name for name in plan.required if name not in kwargs]
    if missing:
        listed = ", ".join(f"'{name}'" for name in missing)
        raise UdfParameterError(
            f"missing required parameter{'s' if len(missing) > 1 else ''} {listed}",
            code=UDF_ERR_MISSING_PARAM,
        )
    if extra or plan.has_positional_only:
        return _positional_call(plan, kwargs, extra), kwargs
    return [], kwargs


def _bind_tile(plan: CallPlan, tile: TileCoord, kwargs: dict[str, object]) -> None:
    receiver = plan.tile_receiver
    if receiver is not None and plan.tile_type is not None:
        kwargs[receiver.name] = tile_argument(tile, plan.tile_type)
    elif plan.parameters:
        first = plan.parameters[0]
        raise UdfParameterError(
            f"tile mode: the first parameter '{first.name}' is annotated {first.annotation}, "
            "which cannot take a tile (use fused.types.Bounds, Bbox, Tile, TileGDF or "
            "ViewportGDF, or name it bounds)",
            code=UDF_ERR_PARAM,
        )
    for name in ("x", "y", "z"):
        if name in plan.by_name and name not in kwargs:
            kwargs[name] = getattr(tile, name)


def _positional_call(
    plan: CallPlan, kwargs: dict[str, object], extra: Sequence[object]
) -> list[object]:
    # Positional-only parameters, and everything before *args when extra positionals are given,
    # must be passed by position; defaults fill the gaps.
    lead = [
        spec for spec in plan.positional if extra or spec.kind is inspect.Parameter.POSITIONAL_ONLY
    ]
    call_args: list[object] = []
    for spec in lead:
        if spec.name in kwargs:
            call_args.append(kwargs.pop(spec.name))
        else:
            call_args.append(spec.default)
    call_args.extend(extra)
    return call_args


def _tile_parameter(
    first: ParameterSpec | None,
) -> tuple[str | None, ParameterSpec | None, TileType | None]:
    # The first parameter takes the tile when it is annotated with a tile type, named
    # bounds/bbox, or not annotated; only the first two make it describe's `tileParam`.
    if first is None:
        return None, None, None
    marker = first.conversion.marker
    if marker is not None:
        return first.name, first, marker
    if first.name in TILE_PARAMETER_NAMES:
        return first.name, first, first.conversion.tile_type or BOUNDS
    if first.annotation is None:
        return None, first, BOUNDS
    return None, None, None


def _unknown_message(plan: CallPlan, unknown: list[str]) -> str:
    listed = ", ".join(f"'{name}'" for name in unknown)
    accepted = ", ".join(spec.name for spec in plan.parameters) or "no parameters"
    plural = "s" if len(unknown) > 1 else ""
    return f"unknown parameter{plural} {listed} (the UDF takes: {accepted})"
