"""scripts/corpus_samples.py: sample files of the types file openers read, picked from a README."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "corpus_samples.py"
sys.path.insert(0, str(SCRIPT.parent))

from corpus_samples import BY_EXTENSION, BY_FILE_NAME, Samples, sample_for  # noqa: E402


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )


def test_writes_a_readable_sample_of_every_type_and_prints_what_it_stands_for(
    tmp_path: Path,
) -> None:
    import geopandas as gpd
    import pandas as pd
    import rasterio
    import xarray as xr
    from PIL import Image

    result = run_script(str(tmp_path / "samples"))
    assert result.returncode == 0, result.stderr
    printed = dict(line.split("  ", 1) for line in result.stdout.splitlines())
    folder = tmp_path / "samples"
    expected = {str(folder / sample) for sample in (*BY_EXTENSION.values(), *BY_FILE_NAME.values())}
    assert set(printed) == expected
    assert printed[str(folder / "sample.tif")] == ".geotiff .tif .tiff"
    assert printed[str(folder / "sample_without_extension")] == "(no extension)"
    assert printed[str(folder / "table" / "_sample")] == "_sample"
    assert len(pd.read_csv(folder / "sample.csv")) == 3
    assert len(pd.read_parquet(folder / "sample.parquet")) == 3
    assert len(pd.read_excel(folder / "sample.xlsx")) == 3
    assert len(pd.read_json(folder / "sample.json")) == 3
    assert len(gpd.read_file(folder / "sample.geojson")) == 3
    assert len(gpd.read_file(folder / "sample.kml")) == 1
    assert len(gpd.read_file(folder / "sample.gpx", layer="tracks")) == 1
    assert len(gpd.read_file(folder / "sample.zip")) == 3
    assert "points.shp" in zipfile.ZipFile(folder / "sample.zip").namelist()
    with rasterio.open(folder / "sample.tif") as raster:
        assert (raster.width, raster.height, raster.crs.to_epsg()) == (64, 64, 4326)
    assert Image.open(folder / "sample.png").mode == "RGB"
    assert sorted(xr.open_dataset(folder / "sample.nc").data_vars) == ["sp", "t2m"]
    # The geopartitioned table as fused.ingest writes it: its metadata file and the parts.
    table = folder / "table"
    assert (table / "_sample").exists() and list(table.glob("*.parquet"))
    assert sum(len(pd.read_parquet(part)) for part in table.glob("*.parquet")) == 400


@pytest.mark.parametrize(
    ("readme", "sample"),
    [
        ("<!--fused:filePreview-->\nExtensions: `csv` `tsv`\nMenu order: 1\n", "sample.csv"),
        # The first type named that has a sample: no `md` sample, so the text one.
        ("<!--fused:filePreview-->\nExtensions: `md` `txt` `json`\n", "sample.txt"),
        ("<!--fused:filePreview-->\nExtensions: `JPEG` `jpg` `png`\n", "sample.png"),
        ("<!--fused:filePreview-->\n\nExtensions: ``\nMenu order: 0\n", "sample_without_extension"),
        ("<!--fused:filePreview-->\nFile name: `_sample`\nMenu order: 1\n", "table/_sample"),
        ("<!--fused:preview-->\n<!--fused:filePreview-->\nExtensions: `geotiff`\n", "sample.tif"),
        # Types no sample is written for, no list, or not a file opener at all.
        ("<!--fused:filePreview-->\nExtensions: `las` `laz`\n", None),
        ("<!--fused:filePreview-->\nReads a file.\n", None),
        ("<!--fused:filePreview-->\nExtensions: csv tsv\n", None),
        ("Extensions: `csv`\n", None),
        ("", None),
    ],
)
def test_picks_the_sample_of_the_first_type_a_file_opener_names(
    readme: str, sample: str | None
) -> None:
    assert sample_for(readme) == sample


def test_writes_each_sample_once_when_first_asked_for(tmp_path: Path) -> None:
    samples = Samples(tmp_path / "samples")
    assert not (tmp_path / "samples").exists()
    path = samples.path("sample.csv")
    assert path == tmp_path / "samples" / "sample.csv"
    path.write_text("changed\n")
    assert samples.path("sample.csv").read_text() == "changed\n"  # not written again
    assert sorted(child.name for child in (tmp_path / "samples").iterdir()) == ["sample.csv"]
    with pytest.raises(KeyError):
        samples.path("sample.unknown")


def test_refuses_a_folder_it_cannot_make(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_script(str(blocker / "samples"))
    assert result.returncode == 2
    assert f"{blocker / 'samples'} cannot be a folder" in result.stderr
    assert run_script().returncode == 2
    assert "usage: corpus_samples.py DIR" in run_script("a", "b").stderr
