"""Encoders for plain documents: JSON values, text, HTML and raw bytes.

JSON handles what UDFs commonly put in dicts and lists: numpy scalars and arrays, dates and
times, pandas objects, geometries (as GeoJSON); NaN and infinities become null.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import enum
import json
import math
import sys
import uuid
from collections.abc import Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from .._result_kinds import Classified
    from .._tiles import TileCoord

# Magic numbers of the byte formats UDFs return most; anything else is octet-stream.
_MAGIC: Final = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"%PDF-", "application/pdf"),
    (b"PAR1", "application/vnd.apache.parquet"),
    (b"ARROW1", "application/vnd.apache.arrow.file"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
)
OCTET_STREAM: Final = "application/octet-stream"


def encode_json(classified: Classified, fmt: str, tile: TileCoord | None = None) -> bytes:
    """A JSON value as compact UTF-8 JSON."""
    return dumps_json(classified.value)


def encode_text(classified: Classified, fmt: str, tile: TileCoord | None = None) -> bytes:
    """Text or HTML as UTF-8, or as a JSON string when JSON is asked for."""
    text: str = classified.value
    if fmt == "json":
        return dumps_json(text)
    return text.encode("utf-8", "surrogatepass")


def encode_bytes(classified: Classified, fmt: str, tile: TileCoord | None = None) -> bytes:
    """Bytes as they are."""
    payload: bytes = classified.value
    return payload


def dumps_json(value: object) -> bytes:
    """Strict JSON (no NaN) of a value, with `json_default` for types json does not know."""
    try:
        text = _STRICT.encode(value)
    except (ValueError, TypeError):
        # Non-finite floats or non-string keys somewhere: rebuild the value in plain types.
        text = _STRICT.encode(_plain(value))
    return text.encode("utf-8", "surrogatepass")


def json_default(value: Any) -> Any:
    """Plain JSON types for values `json` does not serialise itself; TypeError for the rest."""
    if isinstance(value, datetime.date | datetime.time):
        return None if _is_missing(value) else value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, np.datetime64):
            return None if np.isnat(value) else str(np.datetime_as_string(value))
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    geo_interface = getattr(value, "__geo_interface__", None)
    if isinstance(geo_interface, Mapping):
        return dict(geo_interface)
    pd = sys.modules.get("pandas")
    if pd is not None:
        if isinstance(value, pd.DataFrame):
            return json.loads(value.to_json(orient="records", date_format="iso"))
        if isinstance(value, pd.Series | pd.Index):
            return value.tolist()
        if _is_missing(value):
            return None
        if isinstance(value, pd.Timedelta):
            return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID | PurePath):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return list(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# Made once: json.dumps with options builds a new encoder on every call.
_STRICT: Final = json.JSONEncoder(
    default=json_default, allow_nan=False, ensure_ascii=False, separators=(",", ":")
)


def guess_content_type(payload: bytes) -> str:
    """A content type from the first bytes of a payload, else `application/octet-stream`."""
    for magic, content_type in _MAGIC:
        if payload.startswith(magic):
            return content_type
    if payload[:4] == b"RIFF" and payload[8:12] == b"WEBP":
        return "image/webp"
    return OCTET_STREAM


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, Mapping):
        return {_plain_key(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return _plain(json_default(value))


def _plain_key(key: Any) -> str | int | float | bool | None:
    if key is None or isinstance(key, str | int | float | bool):
        return key
    plain = _plain(key)
    return plain if isinstance(plain, str | int | float | bool) else str(key)


def _is_missing(value: object) -> bool:
    pd = sys.modules.get("pandas")
    if pd is None:
        return False
    try:
        return bool(value is pd.NA or value is pd.NaT or pd.isna(value))
    except (TypeError, ValueError):
        return False
