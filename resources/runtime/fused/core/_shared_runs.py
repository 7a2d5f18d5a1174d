"""Running the UDF a shared token names, as the SDK's `run_shared_file` and `run_shared_tile`.

A token of the local server (`fsh_...`, made with `udf-studio token create`) runs its UDF on
the running engine, or here without one (see `fused._token_run`). The values are the UDF's data,
decoded as `fused.run` decodes them; the `_async` forms run in a thread and can be awaited.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .._tiles import make_tile
from .._token_run import run_token


def run_shared_file(token: str, *, cache_max_age: int | str | None = None, **params: Any) -> Any:
    """Run the token's UDF with `params` and return its data."""
    return run_token(token, params, None, cache=True, cache_max_age=cache_max_age)


def run_shared_tile(
    token: str, *, x: int, y: int, z: int, cache_max_age: int | str | None = None, **params: Any
) -> Any:
    """Run the token's UDF for tile z/x/y with `params` and return its data."""
    return run_token(token, params, make_tile(x, y, z), cache=True, cache_max_age=cache_max_age)


async def run_shared_file_async(
    token: str, *, cache_max_age: int | str | None = None, **params: Any
) -> Any:
    """`run_shared_file`, awaitable."""
    return await asyncio.to_thread(run_shared_file, token, cache_max_age=cache_max_age, **params)


async def run_shared_tile_async(
    token: str, *, x: int, y: int, z: int, cache_max_age: int | str | None = None, **params: Any
) -> Any:
    """`run_shared_tile`, awaitable."""
    return await asyncio.to_thread(
        run_shared_tile, token, x=x, y=y, z=z, cache_max_age=cache_max_age, **params
    )
