"""The SDK's smaller namespaces with their local meanings: `fused.types` (TileXYZ, exceptions),
`fused.warnings`, `fused._optional_deps`, `fused.utils`, `fused.ipython`, `fused.run` options."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import fused
from conftest import write_udf_folder
from fused import _optional_deps


def test_a_run_error_is_the_sdks_udf_runtime_error():
    failing = fused.load("@fused.udf\ndef udf():\n    raise KeyError('gone')\n")
    with pytest.raises(fused.types.UdfRuntimeError) as caught:
        failing(engine="local")
    assert isinstance(caught.value, RuntimeError)
    assert caught.value.child_exception_class == "KeyError"
    assert issubclass(fused.UdfResultError, fused.types.UdfSerializationError)
    assert issubclass(fused.UdfParameterError, TypeError)


def test_tile_xyz_gives_the_tiles_address():
    udf = fused.load(
        "@fused.udf\ndef udf(tile: fused.types.TileXYZ):\n    return list(tile) + [tile.z]\n"
    )
    assert udf(x=3, y=2, z=4, engine="local") == [3, 2, 4, 4]
    with pytest.raises(fused.UdfParameterError, match=r"a JSON list \[x, y, z\]"):
        udf(tile="[1, 2]", engine="local")


def test_the_optional_dependencies_are_the_installed_libraries():
    assert _optional_deps.HAS_PANDAS and _optional_deps.PD_DATAFRAME is pd.DataFrame
    assert _optional_deps.GPD_GEODATAFRAME is gpd.GeoDataFrame
    assert _optional_deps.SHAPELY_GEOMETRY is shapely.Geometry
    has_mercantile = importlib.util.find_spec("mercantile") is not None
    assert _optional_deps.HAS_MERCANTILE is has_mercantile
    assert (_optional_deps.MERCANTILE_TILE is None) is not has_mercantile


def test_the_warnings_can_be_filtered_by_class():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fused.core.create_path("filtered")
    assert [w.category for w in caught] == [fused.warnings.FusedDeprecationWarning]
    assert issubclass(fused.warnings.FusedDeprecationWarning, fused.warnings.FusedWarning)


def test_utils_names_a_workspace_udfs_utils_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    folder = write_udf_folder(
        tmp_path,
        "helpers_udf",
        "@fused.udf\ndef udf():\n    return 1\n",
        headers={"utils": "def twice(x):\n    return 2 * x\n"},
    )
    plain = write_udf_folder(tmp_path, "plain_udf", "@fused.udf\ndef udf():\n    return 2\n")
    monkeypatch.setenv("UDF_STUDIO_WORKSPACES", str(folder.parent))
    assert fused.utils.helpers_udf.twice(3) == 6
    assert fused.utils["plain_udf"].name == plain.name
    assert "fused.utils" in repr(fused.utils)


def test_the_udf_magic_needs_ipython():
    if importlib.util.find_spec("IPython") is not None:
        from IPython.testing.globalipapp import get_ipython

        shell = get_ipython()
        fused.load_ipython_extension(shell)
        shell.run_cell_magic("udf", "Cell_Udf", "@fused.udf\ndef udf(n: int = 1):\n    return n\n")
        assert shell.user_ns["Cell_Udf"].name == "Cell_Udf"
        return
    with pytest.raises(ImportError, match="the %%udf magic needs IPython"):
        fused.load_ipython_extension(object())


def test_run_retries_a_failing_udf(tmp_path: Path):
    marker = tmp_path / "failed-once"
    flaky = fused.load(
        "@fused.udf\n"
        "def udf(marker: str = ''):\n"
        "    import os\n"
        "    if not os.path.exists(marker):\n"
        "        open(marker, 'w').close()\n"
        "        raise RuntimeError('first try fails')\n"
        "    return 'ok'\n"
    )
    with pytest.raises(fused.UdfRuntimeError, match="first try fails"):
        fused.run(flaky, marker=str(marker), engine="local")
    marker.unlink()
    assert fused.run(flaky, marker=str(marker), engine="local", max_retry=1) == "ok"
    with pytest.raises(ValueError, match="max_retry"):
        fused.run(flaky, max_retry=-1)


def test_run_type_file_passes_x_y_z_as_parameters():
    udf = fused.load(
        "@fused.udf\ndef udf(x: int = 0, y: int = 0, z: int = 0):\n    return x + y + z\n"
    )
    assert fused.run(udf, x=1, y=2, z=3, type="file", engine="local") == 6
    with pytest.raises(ValueError, match=r"type='tile' needs the tile"):
        fused.run(udf, type="tile")
    with pytest.raises(TypeError, match=r"fused\.run needs the UDF to run"):
        fused.run()


def test_run_async_is_awaitable():
    import asyncio

    udf = fused.load("@fused.udf\ndef udf(n: int = 1):\n    return n * 10\n")
    assert asyncio.run(fused.run_async(udf, n=4, engine="local")) == 40
