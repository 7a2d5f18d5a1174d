"""Flow 4: `fused.submit` and `udf.map` with the client's defaults.

Each item is one code run (`fused.run` from a thread pool for `submit`, `fused.run_async` from an
asyncio loop for `map`), so the server answers them as in flow 3; a shared token's items go to its
run URL. The client caches collected results on its own disk, so every test uses values no other
run used.
"""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import Any

import pandas as pd
import pytest

from conftest import Server

ON_SERVER = "1"


@pytest.fixture(scope="module")
def udfs(fused: ModuleType) -> dict[str, Any]:
    @fused.udf
    def square(n: int = 0, tag: str = ""):
        import os

        import pandas as pd

        print(f"squaring {n}")
        place = os.environ.get("UDF_STUDIO_WORKER", "client")
        return pd.DataFrame({"square": [n * n], "where": [place], "tag": [tag]})

    @fused.udf
    def picky(n: int = 0):
        if n == 2:
            raise ValueError(f"not {n}")
        return n

    return {"square": square, "picky": picky}


def fresh() -> str:
    return uuid.uuid4().hex


def test_submit_collects_every_run_into_one_dataframe(
    fused: ModuleType, udfs: dict[str, Any]
) -> None:
    tag = fresh()
    df = fused.submit(udfs["square"], [1, 2, 3], tag=tag)
    assert isinstance(df, pd.DataFrame)
    assert list(df["square"]) == [1, 4, 9]
    assert set(df["where"]) == {ON_SERVER}
    assert set(df["tag"]) == {tag}


def test_submit_of_argument_dicts_without_collecting(
    fused: ModuleType, udfs: dict[str, Any]
) -> None:
    tag = fresh()
    pool = fused.submit(udfs["square"], [{"n": 4, "tag": tag}, {"n": 5, "tag": tag}], collect=False)
    pool.wait()
    assert pool.all_succeeded()
    assert [int(frame["square"][0]) for frame in pool.results()] == [16, 25]


def test_map_runs_every_item_on_the_server(udfs: dict[str, Any]) -> None:
    # udf.map uses the client's asyncio pool, which needs nest_asyncio: the client does not
    # declare it, so the conformance venv installs it.
    tag = fresh()
    pool = udfs["square"].map([6, 7, 8], tag=tag)
    df = pool.collect()
    assert list(df["square"]) == [36, 49, 64]
    assert set(df["where"]) == {ON_SERVER}


def test_a_failing_item_is_reported_with_its_error(fused: ModuleType, udfs: dict[str, Any]) -> None:
    pool = fused.submit(udfs["picky"], [1, 2, 3], collect=False, max_retry=0)
    pool.wait()
    assert not pool.all_succeeded()
    errors = pool.errors()
    assert list(errors) == [1]
    assert "not 2" in str(errors[1])
    assert pool.results(return_exceptions=True)[0] == 1


def test_submit_of_a_shared_token(fused: ModuleType, server: Server) -> None:
    token = server.create_token("Greeting_Table")
    name = fresh()
    # With the default cache settings the client's own per-run cache reads `cache_max_age` off
    # the token string and fails (fused 2.9.5); cache=False takes the path that works.
    df = fused.submit(token, [{"name": name, "n": 1}, {"name": name, "n": 2}], cache=False)
    assert list(df["greeting"]) == [f"Hello, {name}!"] * 3
