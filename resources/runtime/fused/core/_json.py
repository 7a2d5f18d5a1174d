"""JSON for values `json` does not handle (numpy numbers and arrays, dates, pandas values,
sets, geometries, ...): the same conversions the runtime's JSON results use."""

from __future__ import annotations

import json
from typing import Any


def fused_json_default_handler(obj: Any) -> Any:
    """A plain JSON value for `obj`, for `json.dumps(..., default=...)`; `TypeError` when there
    is none."""
    from .._encoders.document import json_default  # the encoders load on first use

    return json_default(obj)


class FusedJSONEncoder(json.JSONEncoder):
    """A `json.JSONEncoder` that also writes the values `fused_json_default_handler` knows."""

    def default(self, o: Any) -> Any:
        return fused_json_default_handler(o)
