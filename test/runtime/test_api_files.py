"""`fused.api.list`, `get`, `download`, `upload`, `delete` and `resolve` on this machine's files:
`fd://` (the home's bucket), `/mnt/cache` (the shared disk) and local paths, on real folders.

Each test has its own home (conftest points UDF_STUDIO_HOME at a temporary folder). The same calls
from a UDF in an engine's worker are in test_api_signing.py.
"""

from __future__ import annotations

import io
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

import fused
from fused._errors import NotLocalError
from fused._shared_disk import bucket, shared_disk, studio_home


def test_upload_then_list_get_and_resolve_in_the_bucket():
    fused.api.upload(b"a,b\n1,2\n", "fd://tables/one.csv")
    fused.api.upload(b"{}", "fd://tables/nested/two.json")
    assert (bucket() / "tables" / "one.csv").read_bytes() == b"a,b\n1,2\n"
    # Entries right under the folder, folders ending with / (as an S3 listing), in name order.
    assert fused.api.list("fd://tables/") == ["fd://tables/nested/", "fd://tables/one.csv"]
    assert fused.api.list("fd://tables") == ["fd://tables/nested/", "fd://tables/one.csv"]
    assert fused.api.list("fd://tables/one.csv") == ["fd://tables/one.csv"]
    assert fused.api.get("fd://tables/one.csv") == b"a,b\n1,2\n"
    assert fused.api.resolve("fd://tables/one.csv") == str(bucket() / "tables" / "one.csv")


def test_list_details_give_size_kind_and_time():
    fused.api.upload(b"12345", "fd://sized/five.bin")
    (bucket() / "sized" / "folder").mkdir()
    before = datetime.now(tz=UTC)
    five, folder = fused.api.list("fd://sized/", details=True)  # in name order
    assert (folder.url, folder.file_name, folder.is_directory, folder.size) == (
        "fd://sized/folder/",
        "folder",
        True,
        None,
    )
    assert (five.url, five.file_name, five.is_directory, five.size) == (
        "fd://sized/five.bin",
        "five.bin",
        False,
        5,
    )
    assert (
        five.last_modified is not None and abs((five.last_modified - before).total_seconds()) < 60
    )
    # The public `common.get_s3_size` helper passes details=1 and sums `.size`.
    assert sum(entry.size for entry in fused.api.list("fd://sized/", details=1) if entry.size) == 5


def test_local_and_shared_disk_paths_keep_their_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.parquet").write_bytes(b"PAR1")
    assert fused.api.list(str(tmp_path / "data")) == [str(tmp_path / "data" / "x.parquet")]
    monkeypatch.chdir(tmp_path)
    assert fused.api.list("data/") == ["data/x.parquet"]
    assert fused.api.resolve("data/x.parquet") == str(tmp_path / "data" / "x.parquet")
    fused.api.upload(b"shared", "/mnt/cache/notes/a.txt")
    assert (shared_disk() / "notes" / "a.txt").read_bytes() == b"shared"
    assert fused.api.list("/mnt/cache/notes") == ["/mnt/cache/notes/a.txt"]
    assert fused.api.resolve("/mnt/cache/notes/a.txt") == str(shared_disk() / "notes" / "a.txt")
    assert fused.api.get(f"file://{tmp_path / 'data' / 'x.parquet'}") == b"PAR1"


def test_upload_takes_paths_file_objects_and_dataframes(tmp_path: Path):
    import pandas as pd

    source = tmp_path / "report.txt"
    source.write_text("from a file")
    fused.api.upload(str(source), "fd://uploads/")  # a folder: the file keeps its name
    fused.api.upload(source, "fd://uploads/renamed.txt")
    with source.open("rb") as handle:
        fused.api.upload(handle, "fd://uploads/")
    fused.api.upload(io.BytesIO(b"raw"), "fd://uploads/raw.bin")
    fused.api.upload(pd.DataFrame({"n": [1, 2]}), "fd://uploads/table.parquet")
    assert fused.api.list("fd://uploads/") == [
        "fd://uploads/raw.bin",
        "fd://uploads/renamed.txt",
        "fd://uploads/report.txt",
        "fd://uploads/table.parquet",
    ]
    assert pd.read_parquet(bucket() / "uploads" / "table.parquet")["n"].tolist() == [1, 2]
    # Written whole, with the permissions the umask gives (not a temporary file's 0600).
    mode = stat.S_IMODE((bucket() / "uploads" / "raw.bin").stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask
    assert [
        entry.name for entry in (bucket() / "uploads").iterdir() if entry.name.startswith(".")
    ] == []


def test_download_copies_to_a_local_path(tmp_path: Path):
    fused.api.upload(b"payload", "fd://dl/file.bin")
    target = tmp_path / "new" / "folder" / "copy.bin"
    assert fused.api.download("fd://dl/file.bin", target) is None
    assert target.read_bytes() == b"payload"
    fused.api.download("fd://dl/file.bin", "fd://dl/again.bin")
    assert fused.api.get("fd://dl/again.bin") == b"payload"


def test_delete_files_and_folders_within_the_depth():
    for key in ("a/1.txt", "a/b/2.txt", "a/b/c/3.txt", "a/b/c/d/4.txt"):
        fused.api.upload(b"x", f"fd://del/{key}")
    assert fused.api.delete("fd://del/a/1.txt") is True
    assert fused.api.delete("fd://del/a/1.txt") is False  # nothing there any more
    with pytest.raises(ValueError, match=r"goes 4 levels deep, more than max_deletion_depth=3"):
        fused.api.delete("fd://del/a")
    assert (bucket() / "del" / "a" / "b" / "c" / "d" / "4.txt").exists()  # nothing was deleted
    assert fused.api.delete("fd://del/a/b/c", max_deletion_depth=2) is True
    assert fused.api.delete("fd://del/a", max_deletion_depth="unlimited") is True
    assert fused.api.list("fd://del/") == []


def test_delete_refuses_the_bucket_the_shared_disk_and_the_home(tmp_path: Path):
    fused.api.upload(b"keep", "fd://kept.txt")
    fused.api.upload(b"keep", "/mnt/cache/kept.txt")
    for protected in (
        "fd://",
        str(bucket()),
        "/mnt/cache",
        str(studio_home()),
        str(studio_home().parent),
    ):
        with pytest.raises(PermissionError, match="does not delete"):
            fused.api.delete(protected, max_deletion_depth="unlimited")
    assert fused.api.get("fd://kept.txt") == b"keep"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: fused.api.get("fd://missing.txt"),
            FileNotFoundError,
            "fd://missing.txt .* does not exist",
        ),
        (lambda: fused.api.list("fd://nowhere/"), FileNotFoundError, "does not exist"),
        (lambda: fused.api.get("fd://"), IsADirectoryError, "is a folder"),
        (lambda: fused.api.list("fd://../credentials"), ValueError, "climbs out of the bucket"),
        (lambda: fused.api.get("fd://a/../../credentials"), ValueError, "climbs out of the bucket"),
        (lambda: fused.api.list("ftp://host/file"), ValueError, "is not a path it takes"),
        (lambda: fused.api.list(""), ValueError, "needs a path"),
        (lambda: fused.api.get("file://host/etc/hostname"), ValueError, "not a file URL of this"),
        (lambda: fused.api.list(42), TypeError, "takes a path"),
        (lambda: fused.api.get("gs://bucket/key"), NotLocalError, "cannot reach gs:// paths"),
        (
            lambda: fused.api.upload("not a file here", "fd://x.txt"),
            FileNotFoundError,
            r"encode\('utf-8'\)",
        ),
        (lambda: fused.api.upload(b"bytes", "fd://folder/"), ValueError, "name the file"),
        (lambda: fused.api.upload(12, "fd://x.txt"), TypeError, "uploads a path, bytes"),
        (lambda: fused.api.upload(io.StringIO("text"), "fd://x.txt"), TypeError, "binary mode"),
        (
            lambda: fused.api.delete("fd://x", max_deletion_depth=-1),
            ValueError,
            "max_deletion_depth",
        ),
        (lambda: fused.api.delete("fd://x", max_deletion_depth="all"), ValueError, "'unlimited'"),
        (
            lambda: fused.api.sign_url("https://example.com/a.csv"),
            ValueError,
            "is not a path it takes",
        ),
    ],
)
def test_bad_input_is_a_clear_error(call, error, message):
    bucket(create=True)
    with pytest.raises(error, match=message):
        call()


def test_upload_onto_a_folder_is_refused():
    (bucket(create=True) / "taken").mkdir()
    with pytest.raises(IsADirectoryError, match="end it with /"):
        fused.api.upload(b"x", "fd://taken")


def test_fd_file_system_reads_the_bucket_through_fsspec():
    import fsspec

    fused.api.upload(b"via fsspec", "fd://fs/hello.txt")
    fs = fused.api.FdFileSystem()
    assert fs.cat_file("fs/hello.txt") == b"via fsspec"
    # Building the class registered the protocol: fsspec opens fd:// paths.
    with fsspec.open("fd://fs/hello.txt", "rb") as handle:
        assert handle.read() == b"via fsspec"
    assert "FdFileSystem" in dir(fused.api)
