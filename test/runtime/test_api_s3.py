"""`fused.api` on `s3://` paths.

Without s3fs or boto3 in the runtime, the calls that need them say so; anonymous `sign_url` needs
neither. With moto, s3fs and boto3 all importable, the file calls and presigned URLs run against a
local moto server; otherwise those tests are skipped (and S3 file access is untested here).
"""

from __future__ import annotations

import importlib.util
import urllib.request
from pathlib import Path

import pytest

import fused

HAS_S3FS = importlib.util.find_spec("s3fs") is not None
HAS_BOTO3 = importlib.util.find_spec("boto3") is not None


@pytest.fixture
def no_aws_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_anonymous_sign_url_is_the_public_https_url(no_aws_credentials: None):
    url = fused.api.sign_url("s3://fused-asset/data/a table.parquet")
    assert url == "https://fused-asset.s3.amazonaws.com/data/a%20table.parquet"


def test_a_custom_endpoint_is_used_for_public_urls(
    no_aws_credentials: None, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/")
    assert fused.api.sign_url("s3://b/k.csv") == "http://127.0.0.1:9000/b/k.csv"


def test_resolve_keeps_s3_urls_and_refuses_a_missing_bucket():
    assert fused.api.resolve("s3://bucket/key.parquet") == "s3://bucket/key.parquet"
    with pytest.raises(ValueError, match="names no bucket"):
        fused.api.list("s3:///key")


@pytest.mark.skipif(HAS_S3FS, reason="s3fs is installed")
def test_without_s3fs_file_calls_name_the_package():
    for call in (
        lambda: fused.api.list("s3://bucket/prefix/"),
        lambda: fused.api.get("s3://bucket/key"),
        lambda: fused.api.upload(b"x", "s3://bucket/key"),
        lambda: fused.api.delete("s3://bucket/key"),
    ):
        with pytest.raises(ModuleNotFoundError, match="needs the s3fs package") as raised:
            call()
        assert raised.value.name == "s3fs"


@pytest.mark.skipif(HAS_BOTO3, reason="boto3 is installed")
def test_with_credentials_but_no_boto3_signing_names_the_package(
    no_aws_credentials: None, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    with pytest.raises(ModuleNotFoundError, match=r"sign_url on s3:// paths needs the boto3"):
        fused.api.sign_url("s3://private/key.parquet")


@pytest.fixture
def studio_bucket(moto_s3: str) -> str:
    """moto's S3 server with the bucket `studio`; its endpoint."""
    import boto3

    boto3.client("s3").create_bucket(Bucket="studio")
    return moto_s3


def test_files_on_s3(studio_bucket: str, tmp_path: Path):
    fused.api.upload(b"a,b\n1,2\n", "s3://studio/tables/one.csv")
    fused.api.upload(b"{}", "s3://studio/tables/deep/two.json")
    assert fused.api.list("s3://studio/tables/") == [
        "s3://studio/tables/deep/",
        "s3://studio/tables/one.csv",
    ]
    sizes = [entry.size for entry in fused.api.list("s3://studio/tables/", details=True)]
    assert sizes == [None, 8]
    assert fused.api.get("s3://studio/tables/one.csv") == b"a,b\n1,2\n"
    fused.api.download("s3://studio/tables/one.csv", tmp_path / "one.csv")
    assert (tmp_path / "one.csv").read_bytes() == b"a,b\n1,2\n"
    with pytest.raises(ValueError, match="max_deletion_depth=1"):
        fused.api.delete("s3://studio/tables", max_deletion_depth=1)
    assert fused.api.delete("s3://studio/tables") is True
    assert fused.api.delete("s3://studio/tables") is False


def test_presigned_urls_on_s3(studio_bucket: str):
    fused.api.upload(b"signed", "s3://studio/signed/file.txt")
    url = fused.api.sign_url("s3://studio/signed/file.txt")
    assert "Signature=" in url or "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"signed"
    assert list(fused.api.sign_url_prefix("s3://studio/signed/")) == ["s3://studio/signed/file.txt"]
