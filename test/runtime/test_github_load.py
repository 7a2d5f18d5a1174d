"""fused.load of GitHub tree URLs against a stand-in for GitHub's contents API on loopback."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import fused
from fused import UdfLoadError, _github

COMMIT = "bdfb4d0"
CODE = "@fused.udf\ndef udf(name: str = 'world'):\n    return {'hello': name, 'version': VERSION}\n"


class FakeGitHub(ThreadingHTTPServer):
    """Serves `repos/ORG/REPO/contents/PATH?ref=REF` listings and the files' download URLs."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        # (ref, path) -> {name: text}; a nested dict is a sub-folder.
        self.trees: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[str] = []
        # gist id -> {file name: text}
        self.gists: dict[str, dict[str, str]] = {}
        self.mode = "ok"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        if self.server.mode == "down":
            self._send(503, b"unavailable")
            return
        if self.server.mode == "garbage":
            self._send(200, b"<html>not json</html>")
            return
        parts = urlsplit(self.path)
        if parts.path.startswith("/gists/"):
            files = self.server.gists.get(parts.path.rsplit("/", 1)[-1])
            if files is None:
                self._send(404, b'{"message": "Not Found"}')
                return
            listing = {name: {"filename": name, "content": text} for name, text in files.items()}
            self._send(200, json.dumps({"files": listing}).encode())
            return
        if parts.path.startswith("/raw/"):
            _, _, ref, *rest = parts.path.split("/")
            tree = self.server.trees.get((ref, "/".join(rest[:-1])), {})
            text = tree.get(rest[-1])
            self._send(200 if isinstance(text, str) else 404, (text or "").encode())
            return
        prefix = "/repos/fusedio/udfs/contents/"
        ref = parse_qs(parts.query).get("ref", [""])[0]
        path = parts.path[len(prefix) :] if parts.path.startswith(prefix) else None
        tree = self.server.trees.get((ref, path or ""))
        if tree is None:
            parent, _, name = (path or "").rpartition("/")
            text = self.server.trees.get((ref, parent), {}).get(name)
            if isinstance(text, str):  # a file: GitHub answers it as one object
                self._send(200, json.dumps({"name": name, "type": "file"}).encode())
            else:
                self._send(404, b'{"message": "Not Found"}')
            return
        listing = []
        for name, value in tree.items():
            if isinstance(value, dict):
                listing.append({"name": name, "type": "dir", "path": f"{path}/{name}"})
            else:
                listing.append(
                    {
                        "name": name,
                        "type": "file",
                        "size": len(value),
                        "download_url": f"{self.server.base}/raw/{ref}/{path}/{name}",
                    }
                )
        self._send(200, json.dumps(listing).encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def folder(version: str) -> dict[str, Any]:
    meta = {
        "version": "0.0.3",
        "job_config": {
            "version": "0.0.3",
            "steps": [
                {
                    "type": "udf",
                    "udf": {
                        "type": "geopandas_v2",
                        "name": "Greeter",
                        "entrypoint": "udf",
                        "source": "Greeter.py",
                        "headers": [],
                        "metadata": {},
                    },
                }
            ],
        },
    }
    return {
        "meta.json": json.dumps(meta),
        "Greeter.py": f"VERSION = {version!r}\n{CODE}",
        "README.md": "# Greeter\n",
    }


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    server = FakeGitHub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("UDF_STUDIO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv(_github.API_ENV, server.base)
    monkeypatch.setattr(_github, "_refreshed", {})
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def url(ref: str, path: str = "public/Greeter") -> str:
    return f"https://github.com/fusedio/udfs/tree/{ref}/{path}/"


def test_a_commit_pinned_folder_is_fetched_once_and_loads_offline(github: FakeGitHub):
    github.trees[(COMMIT, "public/Greeter")] = folder("v1")
    udf = fused.load(url(COMMIT))
    assert udf(name="Ada", engine="local") == {"hello": "Ada", "version": "v1"}
    fetched = len(github.requests)
    assert fetched == 4  # the listing and three files
    github.mode = "down"
    _github._refreshed.clear()
    again = fused.load(url(COMMIT))
    assert again(engine="local") == {"hello": "world", "version": "v1"}
    assert len(github.requests) == fetched  # pinned: never asked again


def test_a_branch_is_refreshed_when_online_and_its_copy_used_offline(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
):
    github.trees[("main", "public/Greeter")] = folder("v1")
    assert fused.load(url("main"))(engine="local")["version"] == "v1"
    github.trees[("main", "public/Greeter")] = folder("v2")
    assert (
        fused.load(url("main"))(engine="local")["version"] == "v1"
    )  # refreshed at most every 10 min
    _github._refreshed.clear()
    assert fused.load(url("main"))(engine="local")["version"] == "v2"
    github.mode = "down"
    _github._refreshed.clear()
    assert fused.load(url("main"))(engine="local")["version"] == "v2"
    assert "using the copy fetched before" in capsys.readouterr().err


def test_sub_folders_come_along(github: FakeGitHub):
    tree = folder("v1")
    github.trees[(COMMIT, "public/Greeter")] = {**tree, "data": {}}
    github.trees[(COMMIT, "public/Greeter/data")] = {"points.csv": "a,b\n1,2\n"}
    udf = fused.load(url(COMMIT))
    assert Path(udf.path or "").parent.joinpath("data", "points.csv").read_text() == "a,b\n1,2\n"


def test_offline_with_nothing_fetched_names_the_url(github: FakeGitHub):
    github.mode = "down"
    with pytest.raises(UdfLoadError, match="no copy was fetched before") as caught:
        fused.load(url(COMMIT))
    assert caught.value.code == "UDF_ERR_FETCH"
    assert url(COMMIT) in str(caught.value)


def test_unreachable_api_names_the_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("UDF_STUDIO_HOME", str(tmp_path))
    monkeypatch.setenv(_github.API_ENV, "http://127.0.0.1:9")
    with pytest.raises(
        UdfLoadError, match=re.escape("cannot fetch https://github.com/o/r/tree/abcdef1/x/")
    ):
        fused.load("https://github.com/o/r/tree/abcdef1/x/")


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("https://github.com/fusedio/udfs", "not a GitHub folder or file URL"),
        ("https://github.com/fusedio/udfs/tree/main/../../etc/", "does not follow"),
    ],
)
def test_malformed_github_urls_are_refused(github: FakeGitHub, address: str, message: str):
    with pytest.raises(UdfLoadError, match=message):
        fused.load(address)
    assert github.requests == []


def test_missing_folders_and_garbage_answers_are_clear_errors(github: FakeGitHub):
    with pytest.raises(UdfLoadError, match="not found"):
        fused.load(url(COMMIT, "public/Nope"))
    github.mode = "garbage"
    with pytest.raises(UdfLoadError, match="not JSON"):
        fused.load(url(COMMIT))
    # Nothing half-written was kept: a later fetch starts clean.
    github.mode = "ok"
    github.trees[(COMMIT, "public/Greeter")] = folder("v1")
    assert fused.load(url(COMMIT))(engine="local")["version"] == "v1"


def test_blob_urls_name_folders_too(github: FakeGitHub):
    github.trees[(COMMIT, "public/Greeter")] = folder("v1")
    blob = f"https://github.com/fusedio/udfs/blob/{COMMIT}/public/Greeter/"
    assert fused.load(blob)(engine="local")["version"] == "v1"
    # GitHub's page URLs may carry a query or a fragment.
    assert fused.load(blob + "?plain=1#readme").name == "Greeter"


@pytest.mark.parametrize("file", ["Greeter.py", "meta.json"])
def test_a_blob_url_of_the_folders_code_or_meta_loads_the_folder(github: FakeGitHub, file: str):
    github.trees[(COMMIT, "public/Greeter")] = folder("v1")
    udf = fused.load(f"https://github.com/fusedio/udfs/blob/{COMMIT}/public/Greeter/{file}")
    assert udf.name == "Greeter" and udf.readme == "# Greeter\n"
    assert udf(name="Ada", engine="local") == {"hello": "Ada", "version": "v1"}
    github.mode = "down"  # pinned: the fetched folder answers from now on
    again = fused.load(f"https://github.com/fusedio/udfs/blob/{COMMIT}/public/Greeter/{file}")
    assert again(engine="local")["version"] == "v1"


def test_a_blob_url_of_a_lone_file_loads_that_file(github: FakeGitHub):
    github.trees[("main", "snippets")] = {
        "double.py": "@fused.udf\ndef udf(n: int = 2):\n    return {'double': 2 * n}\n",
        "other.py": "x = 1\n",
    }
    udf = fused.load("https://github.com/fusedio/udfs/blob/main/snippets/double.py")
    assert udf.name == "double" and udf(n=4, engine="local") == {"double": 8}


def test_a_blob_url_of_a_missing_file_names_it(github: FakeGitHub):
    github.trees[("main", "public/Greeter")] = folder("v1")
    with pytest.raises(UdfLoadError, match="not found") as caught:
        fused.load("https://github.com/fusedio/udfs/blob/main/public/Greeter/absent.py")
    assert caught.value.code == "UDF_ERR_FETCH"


def test_a_udf_from_a_gist(github: FakeGitHub):
    github.gists["abc123"] = {
        "code.py": "@fused.udf\ndef udf(n: int = 1):\n    return {'n': n}\n",
        "parameters.json": json.dumps({"name": "From_Gist", "parameters": {"n": 3}}),
    }
    udf = fused.Udf.from_gist("https://gist.github.com/someone/abc123")
    assert udf.name == "From_Gist" and udf(engine="local") == {"n": 3}
    github.gists["nocode"] = {"notes.md": "# nothing to run\n"}
    with pytest.raises(UdfLoadError, match=r"gist nocode has no code\.py"):
        fused.Udf.from_gist("nocode")
    with pytest.raises(UdfLoadError, match="not a gist id"):
        fused.Udf.from_gist("gist?id=1")
    with pytest.raises(UdfLoadError, match="not found"):
        fused.Udf.from_gist("missing")
