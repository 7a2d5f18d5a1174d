"""`fused.api.sign_url` and friends through a real engine (`udf-studio serve`), real HTTP, and
UDFs that call `fused.api` in the engine's worker, as the public catalogue's UDFs do.

One engine serves the whole module; its home is this process's home (the `engine` fixture).
"""

from __future__ import annotations

import io
import json
import mimetypes
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import fused
from conftest import RunningEngine
from fused import EngineUnavailableError


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, str]:
    """GET a URL as another process would: the URL alone (no token unless given)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers.get("content-type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("content-type", "")


@fused.udf
def text_file_viewer(key: str = "docs/readme.md"):
    # As the catalogue's files/Text_File and DOCX_File do: sign, then read the URL.
    import urllib.request

    fused.api.upload(b"# Hello\nfrom the bucket\n", f"fd://{key}")
    signed_url = fused.api.sign_url(f"fd://{key}")
    with urllib.request.urlopen(signed_url, timeout=30) as response:
        return {"url": signed_url, "text": response.read().decode()}


@fused.udf
def bucket_roundtrip():
    import pandas as pd

    # Literals are mapped to the bucket's real folder before the code runs: list gives paths
    # that pandas reads as they are, as the catalogue's Read_H3_dataset reads its overviews.
    fused.api.upload(pd.DataFrame({"h": [3]}), "fd://h3/overview/hex7.parquet")
    pd.DataFrame({"h": [1, 2]}).to_parquet("fd://h3/overview/hex5.parquet")
    names = fused.api.list("fd://h3/overview/")
    levels = [int(p.split("/")[-1].removeprefix("hex").removesuffix(".parquet")) for p in names]
    total = sum(len(pd.read_parquet(name)) for name in names)
    sizes = sum(entry.size for entry in fused.api.list("fd://h3/overview/", details=1))
    return {"levels": levels, "rows": total, "bytes": sizes, "first": names[0]}


@fused.udf
def video_viewer(path: str = ""):
    import mimetypes
    from urllib.parse import urlsplit

    signed_url = fused.api.sign_url(path)
    return {"url": signed_url, "type": mimetypes.guess_type(urlsplit(signed_url).path)[0]}


@fused.udf
def who():
    return fused.api.whoami()["name"]


def test_a_signed_bucket_url_opens_without_a_token(engine: RunningEngine):
    fused.api.upload(b"hello", "fd://notes/hello.txt")
    url = fused.api.sign_url("fd://notes/hello.txt")
    assert url.startswith(f"{engine.url}/files/signed/fd/notes/hello.txt?expires=")
    assert fetch(url) == (200, b"hello", "text/plain; charset=utf-8")
    # The same file named by its real path gets the same kind of URL.
    real = fused.api.sign_url(str(engine.home / "fd" / "notes" / "hello.txt"))
    assert urlsplit(real).path == "/files/signed/fd/notes/hello.txt"


def test_local_and_shared_disk_files_are_signed_too(engine: RunningEngine, tmp_path: Path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x01video")
    url = fused.api.sign_url(str(clip))
    assert fetch(url) == (200, b"\x00\x01video", "video/mp4")
    fused.api.upload(b"{}", "/mnt/cache/settings.json")
    assert fetch(fused.api.sign_url("/mnt/cache/settings.json"))[:2] == (200, b"{}")


def test_a_url_for_a_file_not_yet_there_answers_404_then_the_file(engine: RunningEngine):
    url = fused.api.sign_url("fd://later/result.csv")
    status, body, _ = fetch(url)
    assert status == 404
    assert json.loads(body)["error"]["code"] == "UDF_ERR_FILE_NOT_FOUND"
    fused.api.upload(b"a\n1\n", "fd://later/result.csv")
    assert fetch(url)[:2] == (200, b"a\n1\n")


def test_sign_url_prefix_signs_every_file_under_a_folder(engine: RunningEngine):
    fused.api.upload(b"1", "fd://prefix/a.txt")
    fused.api.upload(b"2", "fd://prefix/sub/b.txt")
    urls = fused.api.sign_url_prefix("fd://prefix/")
    assert sorted(urls) == ["fd://prefix/a.txt", "fd://prefix/sub/b.txt"]
    assert [fetch(urls[name])[1] for name in sorted(urls)] == [b"1", b"2"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fused.api.sign_url_prefix("fd://no-such-folder/")


def test_a_udf_in_the_worker_signs_and_reads_its_url(engine: RunningEngine):
    result = fused.run(text_file_viewer)
    assert result["text"] == "# Hello\nfrom the bucket\n"
    assert result["url"].startswith(f"{engine.url}/files/signed/fd/docs/readme.md?")
    # The URL outlives the run: a browser opens it later.
    assert fetch(result["url"])[:2] == (200, b"# Hello\nfrom the bucket\n")


def test_a_udf_in_the_worker_lists_and_reads_the_bucket(engine: RunningEngine):
    result = fused.run(bucket_roundtrip)
    assert result["levels"] == [5, 7] and result["rows"] == 3 and result["bytes"] > 0
    assert result["first"] == str(engine.home / "fd" / "h3" / "overview" / "hex5.parquet")


def test_a_video_url_keeps_its_extension_for_the_mime_type(engine: RunningEngine, tmp_path: Path):
    clip = tmp_path / "movie.mp4"
    clip.write_bytes(b"mp4")
    result = fused.run(video_viewer, path=str(clip))
    assert result["type"] == "video/mp4" == mimetypes.guess_type(urlsplit(result["url"]).path)[0]


def test_whoami_is_the_local_account_in_a_udf_and_here(engine: RunningEngine):
    account = fused.api.whoami()
    assert set(account) >= {"id", "email", "handle", "name"}
    assert fused.run(who) == account["name"]


def test_the_private_token_makes_an_authorization_header(engine: RunningEngine):
    token = json.loads((engine.home / "credentials").read_text())["access_token"]
    assert fused.api.access_token() == token
    assert fused.api.auth_scheme() == "Bearer"
    assert fused.api.AUTHORIZATION.is_configured()
    # As the catalogue's canvas_bot builds its header (with two spaces).
    header = f"{fused.api.auth_scheme()}  {fused.api.access_token()}"
    status, body, _ = fetch(f"{engine.url}/server/v1/user/self", {"Authorization": header})
    assert status == 200 and json.loads(body) == fused.api.whoami()


def test_without_an_engine_signing_says_what_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("UDF_STUDIO_HOME", str(tmp_path / "empty-home"))
    with pytest.raises(
        EngineUnavailableError, match=r"fused.api.sign_url needs the running UDF Studio engine"
    ):
        fused.api.sign_url("fd://a.txt")
    with pytest.raises(EngineUnavailableError, match="no private token yet"):
        fused.api.access_token()
    assert not fused.api.AUTHORIZATION.is_configured()
    # Files need no engine.
    fused.api.upload(io.BytesIO(b"x"), "fd://a.txt")
    assert fused.api.get("fd://a.txt") == b"x"
