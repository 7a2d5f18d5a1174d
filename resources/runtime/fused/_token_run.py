"""`fused.run("fsh_...")`: running a UDF by the local server's shared token.

With the engine running, the run goes to the token's own URL there (`/{token}/run/file` or
`/run/tiles/z/x/y`), as any HTTP client would call it. Without one, the token is looked up in the
engine's SQLite database (read-only; only its SHA-256 is stored) and the UDF it names runs in
this process.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from ._engine_client import (
    Origin,
    decode_result,
    echo_output,
    error_from_response,
    find_engine,
    request,
    run_query,
)
from ._invoke import invoke
from ._shared_tokens import udf_name_for_token
from ._tiles import TileCoord


def run_token(
    token: str,
    params: Mapping[str, Any],
    tile: TileCoord | None,
    *,
    cache: bool,
    cache_max_age: int | str | None,
) -> Any:
    """Run the UDF a shared token names, with `params` (and tile), and return its data."""
    endpoint, _ = find_engine()
    if endpoint is None:
        return _run_here(token, params, tile)
    query = run_query(params, cache, cache_max_age)
    quoted = urllib.parse.quote(token, safe="")
    path = (
        f"/{quoted}/run/file" if tile is None else f"/{quoted}/run/tiles/{tile.z}/{tile.x}/{tile.y}"
    )
    response = request(endpoint, "GET", f"{path}?{urllib.parse.urlencode(query)}")
    echo_output(response.metadata, params, failed=not 200 <= response.status < 300)
    if response.status == 204:
        return None
    if 200 <= response.status < 300:
        return decode_result(response.content_type, response.payload)
    raise error_from_response(endpoint, response, Origin(None, 0, {}))


def _run_here(token: str, params: Mapping[str, Any], tile: TileCoord | None) -> Any:
    from ._load import load_name
    from ._nesting import at_depth, child_depth

    udf = load_name(udf_name_for_token(token))
    with at_depth(child_depth()):
        return invoke(udf, (), params, tile)
