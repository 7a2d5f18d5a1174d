"""Converting string arguments (query strings, CLI values) to what an annotation asks for.

The rules are Fused's: only strings are converted, non-string values pass through; a parameter
with no annotation (or one this module does not know) gets the string as it is. The conversion
for an annotation is worked out once (`conversion_for`) and kept in the UDF's call plan, so a
run only pays for calling it.
"""

from __future__ import annotations

import inspect
import json
import sys
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from ._errors import UDF_ERR_PARAM, UdfParameterError
from .types import BBOX, BOUNDS, TILE_GDF, TILE_TYPES, TILE_XYZ, TileType

Converter = Callable[[str], object]

# Names a string annotation may use without the UDF module having imported them (UDFs often
# import inside the function body): alias -> module to import.
_LAZY_MODULES: Mapping[str, str] = {
    "gpd": "geopandas",
    "geopandas": "geopandas",
    "pd": "pandas",
    "pandas": "pandas",
    "np": "numpy",
    "numpy": "numpy",
    "shapely": "shapely",
    "uuid": "uuid",
    "typing": "typing",
    "fused": "fused",
}
_TYPING_NAMES = ("Any", "Dict", "List", "Optional", "Sequence", "Tuple", "Union", "Literal")
_MAX_SHOWN_VALUE = 80


@dataclass(frozen=True, slots=True)
class Conversion:
    """How a string argument becomes a parameter's value.

    `expected` names the target in error messages; `convert` is None when the string passes as
    is; `tile_type` is how the parameter would take a tile in tile mode (None: it cannot);
    `marker` is set when the annotation is one of the `fused.types` tile types.
    """

    expected: str
    convert: Converter | None
    tile_type: TileType | None
    marker: TileType | None = None


AS_IS = Conversion("str", None, None)
UNANNOTATED = Conversion("str", None, BOUNDS)


def convert_argument(name: str, value: object, conversion: Conversion) -> object:
    """Convert one argument; strings only, anything else is returned unchanged.

    Raises `UdfParameterError` (`UDF_ERR_PARAM`) naming the parameter and the expected type.
    """
    if conversion.convert is None or not isinstance(value, str):
        return value
    try:
        return conversion.convert(value)
    except Exception as exc:
        shown = value if len(value) <= _MAX_SHOWN_VALUE else value[:_MAX_SHOWN_VALUE] + "..."
        raise UdfParameterError(
            f"parameter '{name}' expects {conversion.expected}, got {shown!r} ({exc})",
            code=UDF_ERR_PARAM,
        ) from exc


def resolve_annotation(annotation: object, namespace: Mapping[str, Any]) -> object:
    """Evaluate a string annotation (from `from __future__ import annotations`) if it can be.

    Names are looked up in the UDF module's globals, then among common module aliases (`gpd`,
    `pd`, ...) imported on demand. An annotation that still does not resolve is returned as the
    string, and converts as "pass the string as is".
    """
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, dict(namespace), _LazyNames())  # the UDF's own annotation text
    except Exception:
        return annotation


def conversion_for(hint: object) -> Conversion:
    """The conversion for a resolved annotation (`inspect.Parameter.empty` for none)."""
    if hint is _EMPTY:
        return UNANNOTATED
    origin = get_origin(hint)
    if origin is Annotated:
        for marker in getattr(hint, "__metadata__", ()):
            if isinstance(marker, TileType) and marker in TILE_TYPES:
                return _tile_type_conversion(marker)
        return conversion_for(get_args(hint)[0])
    if origin is Union or origin is types.UnionType:
        members = [arg for arg in get_args(hint) if arg is not type(None)]
        if len(members) == 1:
            return conversion_for(members[0])
        return _union_conversion([conversion_for(member) for member in members])
    if origin is Literal:
        return _literal_conversion(get_args(hint))
    target = origin if origin is not None else hint
    simple = _SIMPLE.get(target)
    if simple is not None:
        return simple
    if isinstance(target, type):
        return _class_conversion(target)
    if isinstance(hint, str):
        return _text_conversion(hint)
    return AS_IS


def format_annotation(annotation: object) -> str | None:
    """An annotation as text for `describe`: as written for strings, else a readable name."""
    if annotation is _EMPTY:
        return None
    if isinstance(annotation, str):
        return annotation
    origin = get_origin(annotation)
    if origin is Annotated:
        for marker in getattr(annotation, "__metadata__", ()):
            if isinstance(marker, TileType):
                return repr(marker)
        return format_annotation(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return " | ".join(format_annotation(arg) or "None" for arg in get_args(annotation))
    if annotation is type(None):
        return "None"
    if isinstance(annotation, type) and origin is None:
        if annotation.__module__ == "builtins":
            return annotation.__qualname__
        top = annotation.__module__.split(".")[0]
        package = sys.modules.get(top)
        name = annotation.__name__
        if package is not None and getattr(package, name, None) is annotation:
            return f"{top}.{name}"
        return f"{annotation.__module__}.{annotation.__qualname__}"
    return repr(annotation)


class _LazyNames(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        if key in _TYPING_NAMES:
            return getattr(typing, key)
        module = _LAZY_MODULES.get(key)
        if module is None:
            raise KeyError(key)
        __import__(module)
        return sys.modules[module]


def _json_of(kind: type, text: str) -> Any:
    data = json.loads(text)
    if not isinstance(data, kind):
        raise ValueError(f"a JSON {'list' if kind is list else 'object'} is needed")
    return data


def _to_bool(text: str) -> bool:
    return text.strip().lower() != "false"


def _to_int(text: str) -> int:
    return int(text, 10)


_SIMPLE: Mapping[object, Conversion] = {
    str: AS_IS,
    Any: AS_IS,
    object: AS_IS,
    bool: Conversion("bool", _to_bool, None),
    int: Conversion("int", _to_int, None),
    float: Conversion("float", float, None),
    list: Conversion("a JSON list", lambda text: _json_of(list, text), BOUNDS),
    dict: Conversion("a JSON object", lambda text: _json_of(dict, text), None),
    tuple: Conversion("a JSON list (tuple)", lambda text: tuple(_json_of(list, text)), None),
    uuid.UUID: Conversion("a UUID", uuid.UUID, None),
}
_EMPTY: object = inspect.Parameter.empty


def _class_conversion(cls: type) -> Conversion:
    from . import _spatial_arguments as geo

    gpd = sys.modules.get("geopandas")
    if gpd is not None and issubclass(cls, gpd.GeoDataFrame):
        return Conversion(
            "a GeoDataFrame (GeoJSON, or a JSON list of 4 numbers)", geo.geodataframe, TILE_GDF
        )
    pd = sys.modules.get("pandas")
    if pd is not None and issubclass(cls, pd.DataFrame):
        return Conversion("a DataFrame (JSON records)", geo.dataframe, None)
    shapely_lib = sys.modules.get("shapely.lib")  # shapely.Geometry, base of every geometry
    if shapely_lib is not None and issubclass(cls, shapely_lib.Geometry):
        return Conversion(f"WKT of a {cls.__name__}", geo.geometry_parser(cls), BBOX)
    return AS_IS


def _tile_type_conversion(marker: TileType) -> Conversion:
    from . import _spatial_arguments as geo

    if marker is TILE_XYZ:
        return Conversion(f"{marker!r} (a JSON list [x, y, z])", geo.tile_xyz, marker, marker)
    expected = f"{marker!r} (a JSON list of 4 numbers, or GeoJSON)"
    if marker is BOUNDS:
        return Conversion(expected, geo.bounds, marker, marker)
    if marker is BBOX:
        return Conversion(expected, geo.bbox, marker, marker)
    return Conversion(expected, geo.geodataframe, marker, marker)


def _union_conversion(options: list[Conversion]) -> Conversion:
    if any(option.convert is None for option in options):
        return AS_IS

    def convert(text: str) -> object:
        for option in options:
            try:
                return option.convert(text)  # type: ignore[misc]
            except Exception:
                continue
        raise ValueError("no alternative matched")

    tile_type = next((option.tile_type for option in options if option.tile_type), None)
    return Conversion(" or ".join(option.expected for option in options), convert, tile_type)


def _literal_conversion(values: tuple[object, ...]) -> Conversion:
    def convert(text: str) -> object:
        for value in values:
            if str(value) == text or (
                isinstance(value, bool) and text.lower() == str(value).lower()
            ):
                return value
        raise ValueError("not one of the allowed values")

    return Conversion("one of " + ", ".join(repr(value) for value in values), convert, None)


def _text_conversion(text: str) -> Conversion:
    # An annotation that did not resolve: recognise the tile types by name, pass anything else.
    last = text.replace("]", "").rsplit(".", 1)[-1].strip()
    for marker in TILE_TYPES:
        if last == marker.name:
            return _tile_type_conversion(marker)
    return AS_IS
