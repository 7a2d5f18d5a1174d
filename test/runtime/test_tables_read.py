"""fused.get_chunks_metadata and fused.get_chunk_from_table: errors, and tables on S3
(fused/_tables/read.py, storage.py)."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

import fused
from fused._tables import storage
from fused._tables.layout import NotATableError


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """A small table in a local folder: 40 points in two files."""
    source = gpd.GeoDataFrame(
        {"id": range(40), "name": [f"p{i}" for i in range(40)]},
        geometry=[shapely.Point(i * 0.01, 45 + i * 0.01) for i in range(40)],
        crs="EPSG:4326",
    )
    folder = tmp_path / "points"
    fused.ingest(
        source, str(folder), partitioning_maximum_per_file=20, partitioning_maximum_per_chunk=10
    ).run_batch(engine="local")
    return folder


def test_a_folder_without_a_table_is_named_in_the_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"no table at .*nothing.*_sample"):
        fused.get_chunks_metadata(str(tmp_path / "nothing"))


def test_parquet_without_fused_metadata_is_not_a_table(tmp_path: Path):
    (tmp_path / "plain").mkdir()
    pq.write_table(pa.table({"a": [1]}), tmp_path / "plain" / "_sample")
    with pytest.raises(NotATableError, match="no Fused chunk metadata"):
        fused.get_chunks_metadata(str(tmp_path / "plain"))


def test_another_format_version_is_refused_by_name(tmp_path: Path):
    (tmp_path / "old").mkdir()
    metadata = {b"fused:format_version": b"4", b"fused:_metadata": base64.b64encode(b"x")}
    pq.write_table(
        pa.table({"a": [1]}).replace_schema_metadata(metadata), tmp_path / "old" / "_sample"
    )
    with pytest.raises(ValueError, match="format version 4"):
        fused.get_chunks_metadata(str(tmp_path / "old"))


def test_chunks_files_and_columns_that_do_not_exist(table: Path):
    url = f"file://{table}"
    metadata = fused.get_chunks_metadata(url)
    assert len(metadata) == 4 and metadata["num_rows"].tolist() == [10, 10, 10, 10]
    with pytest.raises(IndexError, match=r"has 2 chunks .* no chunk 5"):
        fused.get_chunk_from_table(url, "0", 5)
    with pytest.raises(FileNotFoundError, match=r"9\.parquet does not exist$"):
        fused.get_chunk_from_table(url, 9, 0)
    with pytest.raises(KeyError, match="no column 'height'"):
        fused.get_chunk_from_table(url, "0", 0, columns=["id", "height"])
    with pytest.raises(TypeError, match="list of column names"):
        fused.get_chunk_from_table(url, "0", 0, columns="id")
    with pytest.raises(TypeError, match="chunk_id must be a whole number"):
        fused.get_chunk_from_table(url, "0", 0.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not gs://"):
        fused.get_chunks_metadata("gs://bucket/table")


def test_plain_parquet_files_read_as_they_are(tmp_path: Path):
    pd.DataFrame({"a": [1, 2]}).to_parquet(tmp_path / "plain.parquet")
    frame = fused.get_chunk_from_table(str(tmp_path / "plain.parquet"), None, None)
    assert type(frame) is pd.DataFrame and frame["a"].tolist() == [1, 2]
    for epsg in (3857, 2154, 3857):  # each file keeps its own CRS (decoded CRSs are kept)
        projected = gpd.GeoDataFrame(geometry=[shapely.Point(1, 2)], crs=epsg)
        projected.to_parquet(tmp_path / f"{epsg}.parquet")
        read = fused.get_chunk_from_table(str(tmp_path / f"{epsg}.parquet"), None, None)
        assert read.crs.to_epsg() == epsg


def test_s3_without_s3fs_names_the_package(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "s3fs", None)  # as if it were not installed
    storage._s3_filesystem.cache_clear()
    with pytest.raises(ModuleNotFoundError, match="needs the s3fs package"):
        fused.get_chunks_metadata("s3://bucket/table")


# --- a table on S3: a local S3 server (moto) ----------------------------------------------------


def test_a_table_on_s3_reads_as_a_local_one(table: Path, moto_s3: str):
    import boto3

    client = boto3.client("s3", endpoint_url=moto_s3)
    client.create_bucket(Bucket="tables")
    for path in table.iterdir():
        client.upload_file(str(path), "tables", f"points/{path.name}")
    url = "s3://tables/points/"
    assert (
        fused.get_chunks_metadata(url)
        .drop(columns="geometry")
        .equals(fused.get_chunks_metadata(table).drop(columns="geometry"))
    )
    chunk = fused.get_chunk_from_table(url, "1", 1, columns=["id", "geometry"])
    assert chunk.equals(fused.get_chunk_from_table(table, "1", 1, columns=["id", "geometry"]))
    assert sorted(fused.get_chunk_from_table(url, None, None)["id"]) == list(range(40))
    with pytest.raises(FileNotFoundError, match=r"s3://tables/points/7\.parquet"):
        fused.get_chunk_from_table(url, "7", 0)


def test_without_credentials_s3_is_read_anonymously(
    table: Path, moto_s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import boto3

    client = boto3.client("s3", endpoint_url=moto_s3)
    client.create_bucket(Bucket="public")
    client.upload_file(
        str(table / "_sample"), "public", "points/_sample", ExtraArgs={"ACL": "public-read"}
    )
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    from fused._tables.storage import s3_filesystem

    assert s3_filesystem().anon is True
    assert len(fused.get_chunks_metadata("s3://public/points")) == 4


def test_importing_fused_with_the_table_functions_loads_no_data_library():
    import subprocess

    code = (
        "import sys, fused, fused.core\n"
        "print([m for m in ('pandas', 'geopandas', 'pyarrow', 'numpy', 'shapely', 'fsspec')"
        " if m in sys.modules])\n"
    )
    answer = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert answer.stdout.strip() == "[]"
