"""scripts/corpus_samples.py: sample files the catalogue's file openers read, and their --param."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "corpus_samples.py"
sys.path.insert(0, str(SCRIPT.parent))

from corpus_samples import OPENERS  # noqa: E402


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )


def test_writes_a_readable_sample_for_every_opener_and_prints_its_param(tmp_path: Path) -> None:
    import geopandas as gpd
    import pandas as pd
    import rasterio
    import xarray as xr
    from PIL import Image

    result = run_script(str(tmp_path / "samples"))
    assert result.returncode == 0, result.stderr
    params = dict(
        re.fullmatch(r"--param (\w+):path=(.+)", line).groups()  # type: ignore[union-attr]
        for line in result.stdout.splitlines()
    )
    assert sorted(params) == sorted(OPENERS)
    files = {name: Path(path) for name, path in params.items()}
    assert all(path.exists() for path in files.values())
    assert len(pd.read_csv(files["Pandas_CSV"])) == 3
    assert len(pd.read_parquet(files["Pandas_Parquet"])) == 3
    assert len(pd.read_excel(files["Pandas_Excel"])) == 3
    assert len(pd.read_json(files["DuckDB_JSON"])) == 3
    assert len(gpd.read_file(files["GeoPandas_File"])) == 3
    assert len(gpd.read_file(files["GeoPandas_KML"])) == 1
    assert len(gpd.read_file(files["GeoPandas_GPX"], layer="tracks")) == 1
    assert len(gpd.read_file(files["GeoPandas_ZIP"])) == 3
    assert "points.shp" in zipfile.ZipFile(files["GeoPandas_ZIP"]).namelist()
    with rasterio.open(files["GeoTIFF_File"]) as raster:
        assert (raster.width, raster.height, raster.crs.to_epsg()) == (64, 64, 4326)
    assert Image.open(files["ImageIO_File"]).mode == "RGB"
    assert sorted(xr.open_dataset(files["NetCDF_File"]).data_vars) == ["sp", "t2m"]
    # The geopartitioned table as fused.ingest writes it: its metadata file and the parts.
    table = files["Fused_Geopartitioned_Table"]
    assert (table / "_sample").exists() and list(table.glob("*.parquet"))
    assert sum(len(pd.read_parquet(part)) for part in table.glob("*.parquet")) == 400


def test_refuses_a_folder_it_cannot_make(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_script(str(blocker / "samples"))
    assert result.returncode == 2
    assert f"{blocker / 'samples'} cannot be a folder" in result.stderr
    assert run_script().returncode == 2
    assert "usage: corpus_samples.py DIR" in run_script("a", "b").stderr
