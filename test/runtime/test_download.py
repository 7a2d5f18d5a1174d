"""`fused.download` against a local HTTP server: once only, shared by concurrent callers, and
nothing left behind when it fails."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import fused
from conftest import RUNTIME
from fused import DownloadError, NotSupportedYetError

BODY = bytes(range(256)) * 1200  # 300 KiB


class Server:
    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                with server.lock:
                    server.requests[path] += 1
                if path.startswith("/slow/"):
                    time.sleep(0.5)  # a slow server: downloads asked for meanwhile must wait
                if path == "/missing.bin":
                    self.send_error(404, "Not Found")
                    return
                if path == "/cut.bin":
                    # Promises the whole body, sends a part, then hangs up.
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(BODY)))
                    self.end_headers()
                    self.wfile.write(BODY[:1000])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if path == "/cut-chunked.bin":
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.write(b"400\r\n" + BODY[:1024] + b"\r\n")
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(BODY)))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                self.wfile.write(BODY)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    try:
        yield running
    finally:
        running.close()


def disk() -> Path:
    return Path(os.environ["UDF_STUDIO_HOME"]) / "mnt" / "cache"


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


def test_downloads_once_and_returns_the_local_path(server: Server):
    url = f"{server.url}/data/file.bin"
    path = fused.download(url, "downloads/file.bin")
    assert path == str(disk() / "downloads" / "file.bin")
    assert Path(path).read_bytes() == BODY
    assert fused.download(url, "downloads/file.bin") == path
    assert fused.download(url, "/mnt/cache/downloads/file.bin") == path
    assert server.requests["/data/file.bin"] == 1
    assert leftovers(disk() / "downloads") == ["file.bin"]


def test_a_folder_keeps_the_url_file_name(server: Server):
    path = fused.download(f"{server.url}/data/archive.zip?x=1", "zips/")
    assert path == str(disk() / "zips" / "archive.zip")
    assert Path(path).read_bytes() == BODY


def test_concurrent_threads_and_processes_download_once(server: Server, tmp_path: Path):
    url = f"{server.url}/slow/big.bin"
    script = tmp_path / "get.py"
    script.write_text("import sys, fused\nprint(fused.download(sys.argv[1], 'shared/big.bin'))\n")
    env = {**os.environ, "PYTHONPATH": str(RUNTIME)}
    processes = [
        subprocess.Popen(
            [sys.executable, str(script), url], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(fused.download(url, "shared/big.bin")))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    outputs = [process.communicate(timeout=60)[0].strip() for process in processes]
    expected = str(disk() / "shared" / "big.bin")
    assert results == [expected] * 6
    assert outputs == [expected] * 2
    assert server.requests["/slow/big.bin"] == 1
    assert Path(expected).read_bytes() == BODY
    assert leftovers(disk() / "shared") == ["big.bin"]


def test_an_http_error_leaves_nothing(server: Server):
    url = f"{server.url}/missing.bin"
    with pytest.raises(DownloadError, match=r"missing\.bin failed: HTTP 404") as raised:
        fused.download(url, "failed/missing.bin")
    assert url in str(raised.value)
    assert leftovers(disk() / "failed") == []
    # A failure is not remembered: the next call tries again.
    with pytest.raises(DownloadError):
        fused.download(url, "failed/missing.bin")
    assert server.requests["/missing.bin"] == 2


@pytest.mark.parametrize("name", ["cut.bin", "cut-chunked.bin"])
def test_an_interrupted_transfer_leaves_nothing(server: Server, name: str):
    url = f"{server.url}/{name}"
    with pytest.raises(DownloadError, match="was interrupted") as raised:
        fused.download(url, f"cut/{name}")
    assert url in str(raised.value)
    assert leftovers(disk() / "cut") == []


def test_no_server_is_a_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/nothing.bin"
    with pytest.raises(DownloadError, match="failed") as raised:
        fused.download(url, "none/nothing.bin")
    assert url in str(raised.value)
    assert leftovers(disk() / "none") == []


def test_file_urls(tmp_path: Path):
    source = tmp_path / "source.csv"
    source.write_text("a,b\n1,2\n")
    path = fused.download(source.as_uri(), "local/source.csv")
    assert Path(path).read_text() == "a,b\n1,2\n"
    with pytest.raises(DownloadError, match="failed"):
        fused.download((tmp_path / "absent.csv").as_uri(), "local/absent.csv")
    assert leftovers(disk() / "local") == ["source.csv"]


def test_unsupported_urls_and_paths_off_the_shared_disk(tmp_path: Path):
    with pytest.raises(NotSupportedYetError, match="ftp"):
        fused.download("ftp://example.com/key.parquet", "x.parquet")
    with pytest.raises(ValueError, match="not on the shared disk"):
        fused.download((tmp_path / "a").as_uri(), str(tmp_path / "elsewhere.bin"))
    with pytest.raises(ValueError, match="not on the shared disk"):
        fused.download((tmp_path / "a").as_uri(), "../escape.bin")


def test_other_storages_are_other_folders(tmp_path: Path):
    source = tmp_path / "source.csv"
    source.write_text("a\n1\n")
    in_bucket = fused.download(source.as_uri(), "tables/source.csv", storage="object")
    assert in_bucket == str(Path(os.environ["UDF_STUDIO_HOME"]) / "fd" / "tables" / "source.csv")
    assert fused.core.download(source.as_uri(), "tables/source.csv", "object") == in_bucket
    with pytest.raises(ValueError, match="storage must be one of auto, mount, local, object"):
        fused.download(source.as_uri(), "x.csv", storage="cloud")


@pytest.mark.skipif(
    importlib.util.find_spec("s3fs") is not None, reason="s3fs is installed: s3 URLs work"
)
def test_s3_without_s3fs_names_the_missing_package():
    with pytest.raises(ImportError, match="needs the s3fs package") as caught:
        fused.download("s3://bucket/key.parquet", "x.parquet")
    assert caught.value.name == "s3fs"
    assert leftovers(disk()) == []


def _put_object(endpoint: str, key: str, body: bytes, *, public: bool = False) -> None:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket="data")
    acl = {"ACL": "public-read"} if public else {}
    client.put_object(Bucket="data", Key=key, Body=body, **acl)


def test_s3_downloads_with_credentials(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    _put_object(moto_endpoint, "tables/points.csv", b"x,y\n1,2\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    path = fused.download("s3://data/tables/points.csv", "s3/")
    assert Path(path) == disk() / "s3" / "points.csv"
    assert Path(path).read_bytes() == b"x,y\n1,2\n"
    with pytest.raises(DownloadError, match="no such object"):
        fused.download("s3://data/tables/absent.csv", "s3/")
    assert leftovers(disk() / "s3") == ["points.csv"]


def test_s3_downloads_anonymously_without_credentials(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    _put_object(moto_endpoint, "open.bin", BODY, public=True)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance to ask
    path = fused.core.download("s3://data/open.bin", "public/open.bin")
    assert Path(path).read_bytes() == BODY
    _put_object(moto_endpoint, "closed.bin", BODY)
    with pytest.raises(DownloadError, match="access denied"):
        fused.download("s3://data/closed.bin", "public/closed.bin")
    assert leftovers(disk() / "public") == ["open.bin"]
