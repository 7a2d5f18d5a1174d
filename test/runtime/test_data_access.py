"""Data access as on Fused: DuckDB's extensions offline, public s3:// data read without credentials.

A local S3-compatible server (moto's, from the package index) listens on loopback; nothing here
reaches the internet. Instance-metadata lookups are switched off so that no library tries the
link-local metadata address either.
"""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import WorkerProcess, udf_request
from fused._cloud_access import configure_anonymous_access
from fused._network_hint import network_hint

BUCKET = "public-data"
PRIVATE_BUCKET = "private-data"
READS_EVERY_WAY = '''
@fused.udf
def udf(bucket: str, endpoint: str):
    import os

    import duckdb
    import geopandas as gpd
    import pandas as pd
    import rasterio
    import s3fs

    con = duckdb.connect()
    con.sql(
        "SET home_directory='/tmp/udf-studio-duckdb-home/'; INSTALL httpfs; LOAD httpfs; "
        f"SET s3_endpoint='{endpoint}'; SET s3_use_ssl=false; SET s3_url_style='path'; "
        "SET s3_region='us-east-1';"
    )
    with rasterio.open(f"s3://{bucket}/raster.tif") as src:
        raster = int(src.read(1).sum())
    return {
        "unsigned": [os.environ.get("AWS_NO_SIGN_REQUEST"), os.environ.get("FSSPEC_S3")],
        "s3fs": s3fs.S3FileSystem().cat(f"{bucket}/hello.txt").decode(),
        "pandas_csv": int(pd.read_csv(f"s3://{bucket}/table.csv")["n"].sum()),
        "pandas_parquet": int(pd.read_parquet(f"s3://{bucket}/table.parquet")["n"].sum()),
        "pyogrio": len(gpd.read_file(f"s3://{bucket}/points.geojson")),
        "rasterio": raster,
        "duckdb": int(
            con.sql(f"select sum(n) from read_parquet('s3://{bucket}/table.parquet')").fetchone()[0]
        ),
    }
'''
EXPECTED = {
    "s3fs": "hello",
    "pandas_csv": 6,
    "pandas_parquet": 6,
    "pyogrio": 2,
    "rasterio": 16,
    "duckdb": 6,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """moto's S3 server on loopback with a bucket of small files; its `host:port`."""
    import boto3
    import numpy as np
    import pandas as pd
    import rasterio
    from moto.server import ThreadedMotoServer
    from rasterio.transform import from_origin

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        client = boto3.client(
            "s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        # A public bucket, as Overture's or Sentinel's: anyone may list and read it.
        client.create_bucket(Bucket=BUCKET, ACL="public-read")
        table = pd.DataFrame({"n": [1, 2, 3]})
        parquet = io.BytesIO()
        table.to_parquet(parquet)
        points = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {},
                    "geometry": {"type": "Point", "coordinates": xy},
                }
                for xy in ([2.29, 48.86], [13.4, 52.5])
            ],
        }
        raster = io.BytesIO()
        profile = {"driver": "GTiff", "width": 4, "height": 4, "count": 1, "dtype": "uint8",
                   "crs": "EPSG:4326", "transform": from_origin(0, 4, 1, 1)}
        with rasterio.MemoryFile() as memory:
            with memory.open(**profile) as dataset:
                dataset.write(np.ones((1, 4, 4), dtype="uint8"))
            raster.write(memory.read())
        for key, body in {
            "hello.txt": b"hello",
            "table.csv": table.to_csv(index=False).encode(),
            "table.parquet": parquet.getvalue(),
            "points.geojson": json.dumps(points).encode(),
            "raster.tif": raster.getvalue(),
        }.items():
            client.put_object(Bucket=BUCKET, Key=key, Body=body, ACL="public-read")
        # Beside the public bucket, one only signed requests may read.
        client.create_bucket(Bucket=PRIVATE_BUCKET)
        client.put_object(Bucket=PRIVATE_BUCKET, Key="table.parquet", Body=parquet.getvalue())
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


def s3_worker_env(endpoint: str, home: Path, credentials: bool) -> dict[str, str]:
    env = {
        "HOME": str(home),  # no ~/.aws of the developer's
        "AWS_EC2_METADATA_DISABLED": "true",  # never the link-local metadata address
        "AWS_ENDPOINT_URL": f"http://{endpoint}",  # botocore, s3fs, pyarrow
        "AWS_REGION": "us-east-1",
        "AWS_S3_ENDPOINT": endpoint,  # GDAL: rasterio, pyogrio
        "AWS_HTTPS": "NO",
        "AWS_VIRTUAL_HOSTING": "FALSE",
    }
    if credentials:
        env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    return env


def run_in_worker(env: dict[str, str], code: str, params: dict[str, Any]) -> dict[str, Any]:
    """Runs one UDF in a fresh worker with `env` and no cloud settings of this process's."""
    worker = WorkerProcess(env, without=("AWS_", "FSSPEC_", "GS_", "GOOGLE_"))
    try:
        ready, _ = worker.receive()
        assert ready["op"] == "ready"
        header, payload = worker.request(
            {"op": "run", "id": 1, "udf": udf_request(code), "params": params, "tile": None,
             "formats": ["json"], "defaults": {}}
        )
        return {"header": header, "payload": payload}
    finally:
        worker.close()


@pytest.mark.parametrize("credentials", [False, True], ids=["anonymous", "with-credentials"])
def test_public_s3_data_reads_every_way(
    s3_server: str, tmp_path: Path, credentials: bool
) -> None:
    env = s3_worker_env(s3_server, tmp_path, credentials)
    answer = run_in_worker(env, READS_EVERY_WAY, {"bucket": BUCKET, "endpoint": s3_server})
    header = answer["header"]
    assert header["ok"] is True, header.get("error")
    result = json.loads(answer["payload"])
    # Unsigned requests are asked for only where no credentials are configured.
    unsigned = [None, None] if credentials else ["YES", '{"anon": true}']
    assert result == {**EXPECTED, "unsigned": unsigned}


def test_without_credentials_unsigned_reads_are_asked_for(tmp_path: Path) -> None:
    env: dict[str, str] = {}
    changed = configure_anonymous_access(env, tmp_path)
    assert env["AWS_NO_SIGN_REQUEST"] == "YES" and json.loads(env["FSSPEC_S3"]) == {"anon": True}
    assert env["GS_NO_SIGN_REQUEST"] == "YES" and json.loads(env["FSSPEC_GCS"]) == {"token": "anon"}
    assert set(changed) == set(env)


@pytest.mark.parametrize(
    "setup",
    [
        {"env": {"AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret"}},
        {"env": {"AWS_PROFILE": "work"}},
        {"file": (".aws/credentials", "[default]\naws_access_key_id = key\n")},
        {"file": (".aws/config", "[profile sso]\nsso_start_url = https://example.invalid\n")},
    ],
    ids=["environment", "profile", "credentials-file", "sso-config"],
)
def test_configured_aws_credentials_are_used_as_they_are(
    tmp_path: Path, setup: dict[str, Any]
) -> None:
    env: dict[str, str] = dict(setup.get("env", {}))
    if "file" in setup:
        relative, content = setup["file"]
        (tmp_path / relative).parent.mkdir(parents=True)
        (tmp_path / relative).write_text(content)
    configure_anonymous_access(env, tmp_path)
    assert "AWS_NO_SIGN_REQUEST" not in env and "FSSPEC_S3" not in env
    assert env["GS_NO_SIGN_REQUEST"] == "YES"  # Google's side has none here


def test_a_setting_the_user_made_is_kept(tmp_path: Path) -> None:
    env = {"AWS_NO_SIGN_REQUEST": "NO", "FSSPEC_S3_REQUESTER_PAYS": "true"}
    configure_anonymous_access(env, tmp_path)
    assert env["AWS_NO_SIGN_REQUEST"] == "NO" and "FSSPEC_S3" not in env


DUCKDB_PRIVATE = '''
@fused.udf
def udf(bucket: str, endpoint: str, chain: bool = False):
    import duckdb
    con = duckdb.connect()
    con.sql(
        f"INSTALL httpfs; LOAD httpfs; SET s3_endpoint='{endpoint}'; SET s3_use_ssl=false; "
        "SET s3_url_style='path'; SET s3_region='us-east-1';"
    )
    if chain:
        # DuckDB's way to a profile's credentials: the aws extension's credential chain.
        con.sql(
            "INSTALL aws; LOAD aws; CREATE SECRET (TYPE s3, PROVIDER credential_chain, "
            f"ENDPOINT '{endpoint}', USE_SSL false, URL_STYLE 'path', REGION 'us-east-1')"
        )
    query = f"select sum(n) from read_parquet('s3://{bucket}/table.parquet')"
    try:
        return {"sum": int(con.sql(query).fetchone()[0])}
    except Exception as error:
        return {"error": str(error).splitlines()[0]}
'''


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        (None, {"error": "HTTP 403"}),
        ("environment", {"sum": 6}),
        ("profile", {"sum": 6}),
    ],
    ids=["anonymous-is-refused", "environment", "profile-through-credential-chain"],
)
def test_duckdb_reads_private_s3_data_with_the_users_credentials(
    s3_server: str, tmp_path: Path, credentials: str | None, expected: dict[str, Any]
) -> None:
    env = s3_worker_env(s3_server, tmp_path, credentials == "environment")
    env.update({"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
                "no_proxy": "127.0.0.1"})
    if credentials == "profile":
        (tmp_path / ".aws").mkdir()
        (tmp_path / ".aws" / "credentials").write_text(
            "[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
        )
    params = {"bucket": PRIVATE_BUCKET, "endpoint": s3_server, "chain": credentials == "profile"}
    answer = run_in_worker(env, DUCKDB_PRIVATE, params)
    assert answer["header"]["ok"] is True, answer["header"].get("error")
    result = json.loads(answer["payload"])
    if "error" in expected:
        assert expected["error"] in result["error"]
    else:
        assert result == expected


DUCKDB_OFFLINE = '''
@fused.udf
def udf(home: str):
    import duckdb
    con = duckdb.connect()
    # As Fused's common.duckdb_connect does: a home directory first, then install and load.
    con.sql(f"SET home_directory='{home}'")
    con.sql("INSTALL spatial; LOAD spatial; INSTALL httpfs; LOAD httpfs;")
    rows = con.sql(
        "select extension_name, install_path from duckdb_extensions() "
        "where extension_name in ('spatial', 'httpfs') and loaded order by 1"
    ).fetchall()
    point = con.sql("select ST_AsText(ST_Point(1, 2))").fetchone()[0]
    duckdb.sql("INSTALL spatial; LOAD spatial")
    default = duckdb.sql("select ST_AsText(ST_Point(3, 4))").fetchone()[0]
    return {"loaded": [name for name, _ in rows], "paths": [path for _, path in rows],
            "point": point, "default_connection": default}
'''

DUCKDB_NOT_BUNDLED = '''
@fused.udf
def udf():
    import duckdb
    duckdb.connect().sql("INSTALL h3 FROM 'http://127.0.0.1:9/'")
'''


def test_duckdb_spatial_and_httpfs_install_and_load_offline(tmp_path: Path) -> None:
    # No proxy and a closed port for any download DuckDB might try: it must not need one.
    env = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    answer = run_in_worker(env, DUCKDB_OFFLINE, {"home": str(tmp_path / "duckdb-home")})
    assert answer["header"]["ok"] is True, answer["header"].get("error")
    result = json.loads(answer["payload"])
    assert result["loaded"] == ["httpfs", "spatial"]
    assert all("duckdb-extensions" in path for path in result["paths"])
    assert result["point"] == "POINT (1 2)" and result["default_connection"] == "POINT (3 4)"


def test_an_extension_that_needs_the_network_says_so() -> None:
    answer = run_in_worker({}, DUCKDB_NOT_BUNDLED, {})
    error = answer["header"]["error"]
    assert answer["header"]["ok"] is False
    assert 'Failed to download extension "h3"' in error["message"]
    assert "'h3' is not bundled with UDF Studio (spatial, httpfs, aws are" in error["message"]


def test_an_unreachable_host_is_named_plainly() -> None:
    class NameResolutionError(Exception):
        pass

    try:
        try:
            raise NameResolutionError("Failed to resolve 'data.example.org' ([Errno -3] ...)")
        except NameResolutionError as inner:
            raise ConnectionError(
                "HTTPSConnectionPool(host='data.example.org', port=443): Max retries exceeded"
            ) from inner
    except ConnectionError as exc:
        hint = network_hint(exc)
    assert hint == (
        "the host data.example.org could not be reached: is this machine offline, "
        "or is the name wrong?"
    )
    assert network_hint(ValueError("could not convert string to float")) is None
