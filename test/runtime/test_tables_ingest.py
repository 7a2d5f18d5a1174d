"""fused.ingest: the table layout it writes, its options, its errors, in this process and as a
job on a real engine whose tile UDF then serves the table (fused/_tables/ingest.py)."""

from __future__ import annotations

import json
import math
import os
import time
import urllib.request
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely

import fused
from conftest import RunningEngine, write_udf_folder
from fused._tables import ingest as ingest_module
from fused._tables.layout import decode_metadata
from fused._tiles import tile_bounds


def places(count: int = 600, seed: int = 3) -> gpd.GeoDataFrame:
    """Points scattered over central Paris, each with an id."""
    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame(
        {"id": np.arange(count), "kind": rng.choice(["cafe", "park", "shop"], count)},
        geometry=gpd.points_from_xy(
            rng.uniform(2.25, 2.42, count), rng.uniform(48.81, 48.9, count)
        ),
        crs="EPSG:4326",
    )


def bucket_folder(name: str) -> Path:
    return Path(os.environ["UDF_STUDIO_HOME"]) / "fd" / "tables" / name


def check_layout(folder: Path, source: gpd.GeoDataFrame) -> pd.DataFrame:
    """Every property of the table that Fused's readers rely on; its chunk metadata."""
    names = sorted(path.name for path in folder.iterdir())
    data_files = [name for name in names if name != "_sample"]
    assert "_sample" in names
    assert all(name.endswith(".parquet") for name in data_files)
    assert not [path for path in folder.parent.iterdir() if path.name.startswith(".")]
    sample_meta = pq.read_schema(folder / "_sample").metadata
    assert sample_meta[b"fused:format_version"] == b"5"
    chunks = decode_metadata(sample_meta, "_sample")
    assert list(chunks.columns[:6]) == ["file_id", "chunk_id", *fused_bbox()]
    assert sorted(f"{file_id}.parquet" for file_id in chunks["file_id"].unique()) == sorted(
        data_files
    )
    seen: list[int] = []
    for file_id, file_chunks in chunks.groupby("file_id"):
        parquet = pq.ParquetFile(folder / f"{file_id}.parquet")
        own = decode_metadata(parquet.schema_arrow.metadata, file_id)
        assert own.equals(file_chunks.reset_index(drop=True))
        assert parquet.num_row_groups == len(file_chunks)
        assert b"geo" in parquet.schema_arrow.metadata
        for chunk in file_chunks.itertuples():
            rows = fused.get_chunk_from_table(str(folder), file_id, chunk.chunk_id)
            assert (
                parquet.metadata.row_group(chunk.chunk_id).num_rows == chunk.num_rows == len(rows)
            )
            # The chunk's box is exactly its rows' bounds.
            assert tuple(rows.total_bounds) == pytest.approx(
                (chunk.bbox_minx, chunk.bbox_miny, chunk.bbox_maxx, chunk.bbox_maxy)
            )
            seen.extend(rows["id"].tolist())
    assert sorted(seen) == sorted(source["id"].tolist())
    return chunks


def fused_bbox() -> list[str]:
    return ["bbox_minx", "bbox_miny", "bbox_maxx", "bbox_maxy"]


# --- in this process -------------------------------------------------------------------------


def test_ingest_writes_the_table_layout_fused_reads(capsys: pytest.CaptureFixture[str]):
    source = places()
    job = fused.ingest(
        source,
        "fd://tables/places",
        partitioning_maximum_per_file=200,
        partitioning_maximum_per_chunk=50,
    )
    assert not bucket_folder("places").exists()  # checked, not run: as Fused's config object
    result = job.run_batch()
    assert (result.rows, result.path) == (600, str(bucket_folder("places")))
    chunks = check_layout(bucket_folder("places"), source)
    assert (result.files, result.chunks) == (chunks["file_id"].nunique(), len(chunks))
    assert chunks.groupby("file_id")["num_rows"].sum().max() <= 200
    assert chunks["num_rows"].max() <= 50
    err = capsys.readouterr().err
    assert "600 rows into" in err
    assert f"{result.files}/{result.files} done" in err  # the job's progress bar
    metadata = fused.get_chunks_metadata("fd://tables/places")
    assert metadata.crs == "EPSG:4326" and len(metadata) == len(chunks)
    assert metadata.geometry.iloc[0].equals(
        shapely.box(*chunks.loc[0, ["bbox_minx", "bbox_miny", "bbox_maxx", "bbox_maxy"]])
    )


def test_reads_choose_columns_files_and_the_whole_table():
    fused.ingest(places(), "fd://tables/reads", partitioning_maximum_per_chunk=100).run_batch()
    table = "fd://tables/reads/"  # a trailing slash is fine
    metadata = fused.core.get_chunks_metadata(table)
    first = metadata.iloc[0]
    only_ids = fused.get_chunk_from_table(table, first.file_id, first.chunk_id, columns=["id"])
    assert type(only_ids) is pd.DataFrame and list(only_ids.columns) == ["id"]
    with_geometry = fused.core.get_chunk_from_table(
        table, int(first.file_id), np.int64(first.chunk_id), columns=["id", "geometry"]
    )
    assert isinstance(with_geometry, gpd.GeoDataFrame) and with_geometry.crs == "EPSG:4326"
    whole_file = fused.get_chunk_from_table(table, first.file_id, None)
    assert len(whole_file) == metadata.loc[metadata.file_id == first.file_id, "num_rows"].sum()
    whole_table = fused.get_chunk_from_table(str(bucket_folder("reads")), None, None)
    assert sorted(whole_table["id"]) == list(range(600))


def test_options_shape_the_rows():
    frame = pd.DataFrame(
        {"lon": [2.3, 2.31, 200.0], "lat": [48.85, 48.86, 10.0], "name": ["a", "b", "c"], "x": 1}
    )
    fused.ingest(
        frame, "fd://tables/lonlat", lonlat_cols=("lon", "lat"), remove_cols=["x"]
    ).run_batch()
    rows = fused.get_chunk_from_table("fd://tables/lonlat", None, None)
    # The point at longitude 200 is left out (drop_out_of_bounds is on by default).
    assert sorted(rows["name"]) == ["a", "b"] and "x" not in rows.columns

    multi = gpd.GeoDataFrame(
        {"id": [1], "other": ["o"]},
        geometry=[shapely.MultiPoint([(2.3, 48.85), (2.31, 48.86)])],
        crs="EPSG:4326",
    )
    fused.ingest(
        multi, "fd://tables/exploded", explode_geometries=True, load_columns=["id"]
    ).run_batch()
    exploded = fused.get_chunk_from_table("fd://tables/exploded", None, None)
    assert list(exploded.columns) == ["id", "geometry"]
    assert len(exploded) == 2 and set(exploded.geom_type) == {"Point"}

    square = gpd.GeoDataFrame({"id": [7]}, geometry=[shapely.box(2.0, 48.0, 3.0, 49.0)], crs=4326)
    fused.ingest(
        square, "fd://tables/cut", subdivide_method="area", subdivide_start=0.1
    ).run_batch()
    parts = fused.get_chunk_from_table("fd://tables/cut", None, None)
    areas = shapely.area(parts.geometry.array)  # square degrees, as subdivide_start
    assert len(parts) == 16 and (areas <= 0.1).all() and set(parts["id"]) == {7}
    assert shapely.area(parts.union_all()) == pytest.approx(1.0)


def test_a_named_index_is_kept_as_a_column_and_an_unnamed_one_dropped():
    named = places(20).set_index(pd.Index(range(100, 120), name="osm_id"))
    fused.ingest(named, "fd://tables/named").run_batch()
    rows = fused.get_chunk_from_table("fd://tables/named", None, None)
    assert sorted(rows["osm_id"]) == list(range(100, 120))
    filtered = places(20)
    fused.ingest(filtered[filtered["id"] % 2 == 0], "fd://tables/filtered").run_batch()
    rows = fused.get_chunk_from_table("fd://tables/filtered", None, None)
    assert list(rows.columns) == ["id", "kind", "geometry"]


def test_files_are_read_from_paths_and_folders(tmp_path: Path):
    source = places(90)
    folder = tmp_path / "input"
    (folder / "nested").mkdir(parents=True)
    source.iloc[:30].to_file(folder / "a.geojson", driver="GeoJSON")
    source.iloc[30:60].to_crs(3857).to_file(folder / "nested" / "b.geojson", driver="GeoJSON")
    source.iloc[60:].to_parquet(folder / "c.parquet")
    (folder / "_ignored.geojson").write_text("not read")
    fused.ingest(str(folder), "fd://tables/from_folder", file_suffix=".geojson").run_batch()
    rows = fused.get_chunk_from_table("fd://tables/from_folder", None, None)
    assert sorted(rows["id"]) == list(range(60))
    assert rows.geometry.x.between(2.25, 2.42).all()  # the EPSG:3857 file came back to degrees

    fused.ingest(
        [folder / "c.parquet", str(folder / "a.geojson")],
        "fd://tables/from_list",
        partitioning_method="coords",
    ).run_batch()
    assert len(fused.get_chunk_from_table("fd://tables/from_list", None, None)) == 60


def test_another_tables_partitioning_can_be_reused():
    source = places()
    fused.ingest(source, "fd://tables/first", partitioning_maximum_per_chunk=120).run_batch()
    fused.ingest(
        places(300, seed=9), "fd://tables/second", partitioning_schema_input="fd://tables/first"
    ).run_batch()
    first = fused.get_chunks_metadata("fd://tables/first")
    second = fused.get_chunks_metadata("fd://tables/second")
    assert set(second["file_id"]) <= set(first["file_id"])
    assert sum(second["num_rows"]) == 300


def test_an_existing_table_is_replaced_only_when_asked():
    fused.ingest(places(50), "fd://tables/again").run_batch()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        fused.ingest(places(80), "fd://tables/again").run_batch()
    assert len(fused.get_chunk_from_table("fd://tables/again", None, None)) == 50
    fused.ingest(places(80), "fd://tables/again").run_batch(overwrite=True)
    assert len(fused.get_chunk_from_table("fd://tables/again", None, None)) == 80
    fused.ingest(places(20), "fd://tables/again", overwrite=True).run_remote()
    assert len(fused.get_chunk_from_table("fd://tables/again", None, None)) == 20


def test_a_failed_ingest_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch):
    def no_room(*args: Any) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(ingest_module, "write_sample", no_room)
    with pytest.raises(OSError, match="no space left"):
        fused.ingest(places(40), "fd://tables/broken").run_batch()
    assert list(bucket_folder("broken").parent.iterdir()) == []


def test_covering_bbox_is_written_when_asked():
    fused.ingest(places(30), "fd://tables/covering", write_covering_bbox=True).run_batch()
    file = pq.ParquetFile(bucket_folder("covering") / "0.parquet")
    assert "bbox" in file.schema_arrow.names
    geo = json.loads(file.schema_arrow.metadata[b"geo"])
    assert "covering" in geo["columns"]["geometry"]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"input": 42}, TypeError, "input must be a GeoDataFrame"),
        ({"output": None}, ValueError, "needs output"),
        ({"output": "s3://bucket/table"}, fused.NotSupportedYetError, "copy the folder to S3"),
        ({"output": "gs://bucket/table"}, ValueError, "local folder or fd://"),
        ({"partitioning_method": "hex"}, ValueError, "partitioning_method must be one of"),
        ({"partitioning_maximum_per_chunk": 0}, ValueError, "above 0"),
        ({"partitioning_force_utm": "zone"}, ValueError, "partitioning_force_utm"),
        ({"subdivide_start": 1.0}, ValueError, 'subdivide_method="area"'),
        ({"subdivide_method": "area"}, ValueError, "needs subdivide_start"),
        ({"lonlat_cols": "lon"}, TypeError, "lonlat_cols"),
        ({"load_columns": "id"}, TypeError, "list of column names"),
        ({"gdal_config": {"driver": "CSV"}}, ValueError, "layer and open_options"),
        ({"overwrite": "yes"}, TypeError, "overwrite must be True or False"),
        ({"as_udf": True}, fused.NotSupportedYetError, r"\.run_batch\(\)"),
        ({"output_metadata": "fd://meta"}, fused.NotSupportedYetError, "get_chunks_metadata"),
        ({"schema": object()}, fused.NotSupportedYetError, "cast the columns"),
    ],
)
def test_bad_options_are_refused_before_anything_runs(
    arguments: dict[str, Any], error: type[Exception], message: str
):
    given = {"input": places(5), "output": "fd://tables/never", **arguments}
    with pytest.raises(error, match=message):
        fused.ingest(**given)


def test_bad_input_fails_the_run_with_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fused.ingest(str(tmp_path / "missing.parquet"), "fd://tables/x").run_batch()
    with pytest.raises(ValueError, match="lonlat_cols"):
        fused.ingest(pd.DataFrame({"a": [1]}), "fd://tables/x").run_batch()
    with pytest.raises(KeyError, match="no column 'nope'"):
        fused.ingest(places(5), "fd://tables/x", load_columns=["nope"]).run_batch()
    with pytest.raises(ValueError, match="folder of its own"):
        fused.ingest(places(5), "fd://", overwrite=True).run_batch()
    with pytest.raises(ValueError, match="engine must be None"):
        fused.ingest(places(5), "fd://tables/x").run_batch(engine="lab")
    far = gpd.GeoDataFrame(geometry=[shapely.Point(500, 500)], crs=4326)
    with pytest.raises(ValueError, match="no rows with a geometry"):
        fused.ingest(far, "fd://tables/x").run_batch()
    assert not bucket_folder("x").exists()


# --- on a real engine ------------------------------------------------------------------------

TILE_UDF = '''\
@fused.udf
def udf(bounds: fused.types.Bounds = None, table: str = "fd://tables/city"):
    """The table's features in the tile: chunks chosen by their boxes, then rows by geometry."""
    import os

    import geopandas as gpd
    import pandas as pd
    import shapely

    area = shapely.box(*bounds)
    chunks = fused.get_chunks_metadata(table)
    chunks = chunks[chunks.intersects(area)]
    if not len(chunks):
        return gpd.GeoDataFrame({"id": []}, geometry=[], crs="EPSG:4326")
    rows = pd.concat(
        fused.get_chunk_from_table(table, file_id, chunk_id, columns=["id", "geometry"])
        for file_id, chunk_id in chunks[["file_id", "chunk_id"]].values
    )
    rows = rows[rows.intersects(area)]
    rows["pid"] = os.getpid()
    rows["chunks_read"] = len(chunks)
    return rows
'''


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def private_get(engine: RunningEngine, path: str) -> Any:
    token = json.loads((engine.home / "credentials").read_text())["access_token"]
    request = urllib.request.Request(
        f"{engine.url}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def test_ingest_runs_as_a_job_on_the_engine(engine: RunningEngine):
    result = fused.ingest(
        places(), "fd://tables/city", partitioning_maximum_per_chunk=40
    ).run_batch(name="city table")
    assert result.path == str(engine.home / "fd" / "tables" / "city")
    check_layout(Path(result.path), places())
    jobs = private_get(engine, "/api/jobs")["jobs"]
    job = next(job for job in jobs if job["udf"] == "city_table")
    assert job["status"] == "succeeded" and job["total"] == result.files


def test_a_tile_udf_serves_the_tables_features_through_the_engine(engine: RunningEngine):
    source = places()
    if not (engine.home / "fd" / "tables" / "city" / "_sample").exists():
        fused.ingest(source, "fd://tables/city", partitioning_maximum_per_chunk=40).run_batch()
    z = 14
    x, y = tile_of(2.33, 48.86, z)
    area = shapely.box(*tile_bounds(x, y, z))
    expected = sorted(source.loc[source.intersects(area), "id"].tolist())
    assert 0 < len(expected) < len(source)

    served = fused.run(fused.load(TILE_UDF), x=x, y=y, z=z, cache=False)
    assert sorted(served["id"].tolist()) == expected
    assert set(served["pid"]) != {os.getpid()}  # read in the engine's worker
    assert served["chunks_read"].iloc[0] < len(fused.get_chunks_metadata("fd://tables/city"))

    # The same UDF from the workspace, as a map client asks for a tile.
    write_udf_folder(engine.home / "udfs", "City_Tiles", TILE_UDF)
    credentials = json.loads((engine.home / "credentials").read_text())["access_token"]
    token = None
    deadline = time.monotonic() + 20
    while token is None:
        request = urllib.request.Request(
            f"{engine.url}/server/v1/udf-access-token/new",
            data=json.dumps({"udf_slug": "City_Tiles"}).encode(),
            headers={"Authorization": f"Bearer {credentials}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                token = json.loads(answer.read())["token"]
        except urllib.error.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)  # until the workspace watcher has seen the new folder
    with urllib.request.urlopen(
        f"{engine.url}/{token}/run/tiles/{z}/{x}/{y}?format=geojson", timeout=60
    ) as answer:
        features = json.loads(answer.read())["features"]
    assert sorted(feature["properties"]["id"] for feature in features) == expected
