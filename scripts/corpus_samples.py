"""Small sample files of the types file openers read, for scripts/udf_corpus.py.

A file opener (its README has `<!--fused:filePreview-->`) is what Fused's file browser runs on the
file a user opens, passing it as `path`; its README names the files it opens (`Extensions:` with
extensions in backquotes, or `File name:` such as a geopartitioned table's `_sample`). Without a
file it has nothing to run on, so udf_corpus.py runs it on a sample of the first type it names
that this module can write (made here with the runtime's own packages: no download), written the
first time it is needed.

    udf-studio python scripts/corpus_samples.py DIR

writes every sample into DIR and prints one line per sample: its path and the types it stands for.
Exit status 0 when written, 2 when DIR cannot be a folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

FILE_PREVIEW_MARK = "<!--fused:filePreview-->"
# The sample (a path under the samples folder) for each extension a README names, in lower case;
# "" is a file without one.
BY_EXTENSION = {
    "": "sample_without_extension",
    "csv": "sample.csv",
    "docx": "sample.docx",
    "geojson": "sample.geojson",
    "geotiff": "sample.tif",
    "gpx": "sample.gpx",
    "json": "sample.json",
    "kml": "sample.kml",
    "mp4": "sample.mp4",
    "nc": "sample.nc",
    "parquet": "sample.parquet",
    "png": "sample.png",
    "tif": "sample.tif",
    "tiff": "sample.tif",
    "txt": "sample.txt",
    "xlsx": "sample.xlsx",
    "zip": "sample.zip",
}
# A geopartitioned table is opened on its `_sample` file (fused.ingest's metadata file).
BY_FILE_NAME = {"_sample": "table/_sample"}
_NAMED = re.compile(r"^(Extensions|File name):(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"`([^`]*)`")
# Central Paris, under the tile udf_corpus.py runs tile UDFs without a default view on.
WEST, SOUTH, EAST, NORTH = 2.25, 48.82, 2.40, 48.89
GPX = """<?xml version="1.0"?>
<gpx version="1.1" creator="udf-studio" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>walk</name><trkseg><trkpt lat="48.85" lon="2.29"/><trkpt lat="48.86" lon="2.30"/>
</trkseg></trk></gpx>
"""
KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>Tower</name>
<Point><coordinates>2.2945,48.8584,0</coordinates></Point></Placemark></Document></kml>
"""
# The start of an MP4 file: the video opener only signs the file's URL for a <video> tag.
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: corpus_samples.py DIR", file=sys.stderr)
        return 2
    folder = Path(argv[0])
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"corpus_samples: {folder} cannot be a folder: {error}", file=sys.stderr)
        return 2
    samples = Samples(folder.resolve())
    kinds: dict[str, list[str]] = {}
    for extension, sample in sorted(BY_EXTENSION.items()):
        kinds.setdefault(sample, []).append(f".{extension}" if extension else "(no extension)")
    for name, sample in sorted(BY_FILE_NAME.items()):
        kinds.setdefault(sample, []).append(name)
    for sample, named in sorted(kinds.items()):
        print(f"{samples.path(sample)}  {' '.join(named)}")
    return 0


def sample_for(readme: str) -> str | None:
    """The sample (a path under the samples folder) for a file opener's README: the first type
    it names that has one; None when it is not a file opener or names none of them."""
    _, mark, preview = readme.partition(FILE_PREVIEW_MARK)
    if not mark:
        return None
    for match in _NAMED.finditer(preview):
        for named in _QUOTED.findall(match.group(2)):
            if match.group(1) == "Extensions":
                sample = BY_EXTENSION.get(named.strip().lstrip(".").lower())
            else:
                sample = BY_FILE_NAME.get(named.strip())
            if sample is not None:
                return sample
    return None


class Samples:
    """A samples folder: each sample written the first time it is asked for (from any thread)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._written: set[str] = set()

    def path(self, sample: str) -> Path:
        """The sample's path, written first if it is not yet."""
        top = sample.split("/")[0]
        with self._lock:
            if top not in self._written:
                self.folder.mkdir(parents=True, exist_ok=True)
                WRITERS[top](self.folder / top)
                self._written.add(top)
        return self.folder / sample


def _table() -> Any:
    import pandas as pd

    return pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"], "value": [0.5, 1.5, 2.5]})


def _points(count: int = 3) -> Any:
    import geopandas as gpd
    import numpy as np

    random = np.random.default_rng(7)
    longitudes = random.uniform(WEST, EAST, count)
    latitudes = random.uniform(SOUTH, NORTH, count)
    return gpd.GeoDataFrame(
        {"id": range(count)}, geometry=gpd.points_from_xy(longitudes, latitudes), crs="EPSG:4326"
    )


def _write_zipped_shapefile(path: Path) -> None:
    shapefile = path.with_name("shapefile")
    shapefile.mkdir(exist_ok=True)
    _points().to_file(shapefile / "points.shp")
    with zipfile.ZipFile(path, "w") as archive:
        for part in sorted(shapefile.iterdir()):
            archive.write(part, part.name)


def _grid() -> tuple[Any, Any]:
    import numpy as np

    rows, columns = np.mgrid[0:64, 0:64]
    return rows, columns


def _write_geotiff(path: Path) -> None:
    import numpy as np
    import rasterio
    from rasterio.transform import from_bounds

    rows, columns = _grid()
    band = ((rows + columns) % 255).astype(np.uint8)
    with rasterio.open(
        path, "w", driver="GTiff", width=64, height=64, count=1, dtype="uint8",
        crs="EPSG:4326", transform=from_bounds(WEST, SOUTH, EAST, NORTH, 64, 64),
    ) as raster:
        raster.write(band, 1)


def _write_rgb_png(path: Path) -> None:
    import numpy as np
    from PIL import Image

    rows, columns = _grid()
    rgb = np.stack([columns * 4, rows * 4, (rows + columns) * 2], axis=-1).astype(np.uint8)
    Image.fromarray(rgb, "RGB").save(path)


def _write_netcdf(path: Path) -> None:
    # Two variables: rioxarray opens such a file as a Dataset, which the opener expects.
    import numpy as np
    import xarray as xr

    rows, columns = _grid()
    coords = {"y": np.linspace(NORTH, SOUTH, 64), "x": np.linspace(WEST, EAST, 64)}
    xr.Dataset(
        {"t2m": (("y", "x"), (rows + columns).astype("float32")),
         "sp": (("y", "x"), (rows * columns).astype("float32"))},
        coords=coords,
    ).to_netcdf(path)


def _write_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("A sample document.")
    document.save(str(path))


def _write_table(path: Path) -> None:
    # A geopartitioned table as fused.ingest writes it, in this process (no engine needed).
    runtime = Path(__file__).resolve().parents[1] / "resources" / "runtime"
    if str(runtime) not in sys.path:
        sys.path.insert(0, str(runtime))
    import fused

    # A home of its own, so the ingest runs here rather than on an engine that may be running,
    # and what it prints goes to stderr: stdout is the caller's report.
    before = os.environ.get("UDF_STUDIO_HOME")
    os.environ["UDF_STUDIO_HOME"] = str(path.parent / ".ingest-home")
    try:
        with contextlib.redirect_stdout(sys.stderr):
            job = fused.ingest(_points(400), str(path), partitioning_maximum_per_chunk=100)
            job.run_batch()
    finally:
        if before is None:
            os.environ.pop("UDF_STUDIO_HOME", None)
        else:
            os.environ["UDF_STUDIO_HOME"] = before


# How each sample is written, by its name (the table's folder for the table).
WRITERS: dict[str, Callable[[Path], object]] = {
    "sample.csv": lambda path: _table().to_csv(path, index=False),
    "sample.json": lambda path: _table().to_json(path, orient="records"),
    "sample.parquet": lambda path: _table().to_parquet(path),
    "sample.xlsx": lambda path: _table().to_excel(path, index=False),
    "sample.txt": lambda path: path.write_text("A sample text file.\n"),
    "sample_without_extension": lambda path: path.write_text("Plain text, no extension.\n"),
    "sample.geojson": lambda path: _points().to_file(path, driver="GeoJSON"),
    "sample.gpx": lambda path: path.write_text(GPX),
    "sample.kml": lambda path: path.write_text(KML),
    "sample.zip": _write_zipped_shapefile,
    "sample.tif": _write_geotiff,
    "sample.png": _write_rgb_png,
    "sample.nc": _write_netcdf,
    "sample.docx": _write_docx,
    "sample.mp4": lambda path: path.write_bytes(MP4_HEADER),
    "table": _write_table,
}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
