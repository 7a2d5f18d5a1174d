"""`Udf.invalidate_cache`: asking the running engine to drop a UDF's cached results.

UDF results are cached by the engine (not by this process), so invalidation is a request to it:
`DELETE {url}/server/v1/realtime-shared/local/udf-cache/by-id/{udf_id}/delete[?z=&x=&y=]` with
`Authorization: Bearer <access_token>`, to the engine `fused._engine_client.find_engine` finds
(engine.json, a live pid, a healthy `/healthz`, the credentials). With no engine running nothing
is cached, so there is nothing to do.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urlencode

from ._engine_api import error_detail
from ._errors import EngineUnavailableError

if TYPE_CHECKING:
    from ._udf_like import UdfLike

CLIENT_ID: Final = "local"
REQUEST_TIMEOUT_S: Final = 10.0


class CacheInvalidationError(RuntimeError):
    """The engine refused to invalidate (bad token, bad tile, an engine error)."""


def check_tile(z: object, x: object, y: object) -> tuple[int, int, int] | None:
    """z, x and y as ints when all three are given, None when none is; else a `ValueError`."""
    given = [value is not None for value in (z, x, y)]
    if not any(given):
        return None
    if not all(given):
        missing = ", ".join(name for name, ok in zip("zxy", given, strict=True) if not ok)
        raise ValueError(
            f"all three tile coordinates (z, x, y) must be given together: all three to "
            f"invalidate one tile, or none for the whole UDF (missing {missing})"
        )
    tile = []
    for name, value in zip("zxy", (z, x, y), strict=True):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"tile {name} must be a whole number >= 0, got {value!r}")
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"tile {name} must be a whole number >= 0, got {value!r}") from None
        if number < 0:
            raise ValueError(f"tile {name} must be a whole number >= 0, got {value!r}")
        tile.append(number)
    return tile[0], tile[1], tile[2]


def udf_cache_id(udf: UdfLike) -> str:
    """The id the engine caches a UDF under: `metadata["fused:id"]` when set, else its name."""
    given = udf.metadata.get("fused:id")
    return str(given) if given else udf.name


def invalidate_udf_cache(
    udf: UdfLike, z: object = None, x: object = None, y: object = None
) -> dict[str, Any] | None:
    """Drop a UDF's cached results (one tile's with z, x, y); the engine's answer, or None
    when no engine is running (or it does not know the UDF: then nothing of it is cached)."""
    tile = check_tile(z, x, y)
    from ._engine_client import find_engine  # imported when needed: `import fused` stays light

    endpoint, _reason = find_engine()
    if endpoint is None:
        return None
    url = endpoint.url
    import urllib.error  # imported when needed: `import fused` stays light
    import urllib.request

    path = (
        f"/server/v1/realtime-shared/{CLIENT_ID}/udf-cache/by-id/"
        f"{quote(udf_cache_id(udf), safe='')}/delete"
    )
    if tile is not None:
        path += "?" + urlencode({"z": tile[0], "x": tile[1], "y": tile[2]})
    request = urllib.request.Request(
        url + path,
        method="DELETE",
        headers={"Authorization": f"Bearer {endpoint.token}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        detail = error_detail(exc.read())
        if exc.code == 404 and detail[0] == "UDF_ERR_NOT_FOUND":
            return None
        raise CacheInvalidationError(
            f"the engine at {url} did not invalidate the cache of UDF {udf.name!r}: "
            f"HTTP {exc.code} {detail[1] or exc.reason}"
        ) from None
    except (urllib.error.URLError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ConnectionRefusedError):
            return None  # the engine has just stopped: its cache went with it
        raise EngineUnavailableError(
            f"cannot reach the engine at {url} to invalidate UDF {udf.name!r}: {reason}"
        ) from None
    try:
        answer = json.loads(body) if body else {}
    except ValueError:
        answer = {}
    return answer if isinstance(answer, dict) else {}

