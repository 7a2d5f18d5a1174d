"""Tables as documents for people and office tools: an HTML table, an xlsx workbook, XML.

Geometries arrive here as WKT already. Cells are made safe for each target: Excel has no
time zones and rejects control characters; XML 1.0 cannot hold control characters at all and
needs element names built from column names; values that are neither text, numbers nor dates
(lists, dicts) are written as JSON in every format, so the three agree.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable
from typing import Any, Final

from .document import dumps_json

SHEET_NAME: Final = "udf"
XML_ROOT: Final = "data"
XML_ROW: Final = "row"
# Characters XML 1.0 does not allow (Excel's shared strings are XML too).
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NOT_NAME_CHAR: Final = re.compile(r"[^\w.-]")
_HTML_HEAD: Final = (
    '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>UDF result</title>\n'
    "<style>table{border-collapse:collapse;font-family:sans-serif;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:2px 6px;text-align:left}</style>\n</head>\n<body>\n"
)
_HTML_TAIL: Final = "\n</body>\n</html>\n"


def html_table(frame: Any, *, index: bool) -> bytes:
    """The frame as an HTML page holding one `<table>`; every cell and heading is escaped."""
    frame = _plain_cells(frame, _no_change)
    table: str = frame.to_html(index=index, escape=True, na_rep="", border=0)
    return (_HTML_HEAD + table + _HTML_TAIL).encode("utf-8")


def excel(frame: Any, *, index: bool) -> bytes:
    """The frame as an xlsx workbook (openpyxl) with one sheet named `udf`."""
    import pandas as pd

    frame = _plain_cells(frame, _strip_not_xml)
    for position, dtype in enumerate(frame.dtypes):
        if isinstance(dtype, pd.DatetimeTZDtype):
            # Excel has no time zones: times are written as UTC wall-clock times.
            column = frame.iloc[:, position].dt.tz_convert("UTC").dt.tz_localize(None)
            frame = _with_column(frame, position, column)
    if isinstance(frame.index, pd.DatetimeIndex) and frame.index.tz is not None:
        frame = frame.set_axis(frame.index.tz_convert("UTC").tz_localize(None), axis=0)
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=index, sheet_name=SHEET_NAME, engine="openpyxl")
    return buffer.getvalue()


def xml_document(frame: Any, *, index: bool) -> bytes:
    """The frame as `<data><row><column>value</column>…</row>…</data>`.

    Column names become valid, unique element names (characters other than letters, digits,
    `.`, `-` and `_` become `_`; names that cannot start an element get a leading `_`).
    Written with the standard library's ElementTree, so lxml is not needed.
    """
    if index:
        frame = frame.reset_index()
    frame = _plain_cells(frame, _strip_not_xml)
    frame = frame.set_axis(xml_names([str(column) for column in frame.columns]), axis=1)
    text: str = frame.to_xml(
        index=False, root_name=XML_ROOT, row_name=XML_ROW, parser="etree", na_rep=""
    )
    return text.encode("utf-8")


def xml_names(columns: list[str]) -> list[str]:
    """Element names for column names: valid XML names, unique, in the same order."""
    names: list[str] = []
    taken: set[str] = set()
    for column in columns:
        name = _NOT_NAME_CHAR.sub("_", column)
        if not name or not (name[0].isalpha() or name[0] == "_") or name.lower().startswith("xml"):
            name = "_" + name  # names may not start with a digit, `.` or `-`, nor with "xml"
        unique, number = name, 2
        while unique in taken:
            unique, number = f"{name}_{number}", number + 1
        taken.add(unique)
        names.append(unique)
    return names


def _plain_cells(frame: Any, clean_text: Callable[[str], str]) -> Any:
    """The frame with text cleaned and non-scalar cells (lists, dicts, bytes) as JSON text."""
    import numpy as np
    import pandas as pd

    changed = frame
    for position, dtype in enumerate(frame.dtypes):
        if (isinstance(dtype, np.dtype) and dtype.kind == "O") or isinstance(dtype, pd.StringDtype):
            column = frame.iloc[:, position]
            cleaned = column.map(lambda value: _plain_cell(value, clean_text))
            changed = _with_column(changed, position, cleaned.astype(object))
    return changed


def _plain_cell(value: Any, clean_text: Callable[[str], str]) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC).replace(tzinfo=None)
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        return value
    if isinstance(value, list | tuple | dict | set | frozenset | bytes | bytearray):
        return clean_text(dumps_json(value).decode("utf-8"))
    return value


def _with_column(frame: Any, position: int, column: Any) -> Any:
    # By position: column names may repeat.
    frame = frame.copy(deep=False)
    frame.isetitem(position, column)
    return frame


def _strip_not_xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _no_change(text: str) -> str:
    return text
